/* synth_bank_zh.c — Chinese phrase banks of the corpus generator, the same structure as
 * synth_bank_en.c (issue + optional ask per intent, shared parts, slot values). */
#include "synth/synth_internal.h"

static SynthList card_lost_i = {
    "我的{card}{date}丢了，到处都找不到。", "银行卡被偷了，尾号{last4}。",
    "钱包丢了，里面有我的{card}。", "我的卡不见了，还发现一笔{merchant}的{amount}消费不是我刷的。",
    "在{city}出差时把卡弄丢了。", "ATM把我的卡吞了，没有退出来。", "卡丢了，尾号{last4}。", NULL};
static SynthList card_lost_a = {"请马上帮我冻结这张卡。", "怎么补办新卡？", "请尽快挂失。",
                                "新卡寄到我家就行。", NULL};

static SynthList refund_i = {
    "订单{order}已经取消了，但是{amount}还没退回来。", "{product}退货{days}天了，退款一直没到账。",
    "我要申请退款，东西根本用不了。", "说好的退款{amount}到现在还没收到。",
    "重复扣款了，请把多扣的钱退给我。", "退货单号{order}，退款显示处理中。", NULL};
static SynthList refund_a = {"请尽快退款。", "退款一般多久到账？", "请把钱退回我的{card}。",
                             "我要全额退款。", NULL};

static SynthList billing_i = {
    "这个月账单{amount}，平时只有{amount2}，为什么？", "账单上有一笔{amount}的费用我不认识。",
    "我没有开通{plan}，为什么要收费？", "{date}被重复扣费了。",
    "账单里有漫游费{amount}，可是我根本没出国。", "多收了我{amount}的费用。",
    "莫名其妙多了一笔滞纳金。", NULL};
static SynthList billing_a = {"请把这笔费用取消。", "请给我解释一下这笔收费。", "请更正我的账单。",
                              "多收的钱请退回。", NULL};

static SynthList cancel_i = {
    "我要取消{plan}套餐。", "请帮我注销账户，月底就不用了。", "怎么解约？我要换别的运营商了。",
    "不想用了，帮我退订。", "现在取消合约要交违约金吗？", "我要携号转网。", NULL};
static SynthList cancel_a = {"请确认取消成功。", "{date}以后不要再扣费了。", "直接帮我取消吧。",
                             "把最后一期账单发给我。", NULL};

static SynthList upgrade_i = {
    "我想升级到{plan}套餐。", "流量总是不够用，有没有更大的套餐？", "能不能把我的套餐换成{plan}？",
    "想办宽带提速，有什么套餐？", "换{product}有升级优惠吗？", "想给家里加一张副卡。", NULL};
static SynthList upgrade_a = {"每个月要多少钱？", "下个月开始帮我升级。", "请把套餐介绍发给我。",
                              "老用户有优惠吗？", NULL};

static SynthList outage_i = {
    "{city}这边完全没有信号。", "从{time}开始网络就断了。", "家里宽带断网了，路由器亮红灯。",
    "打不了电话也上不了网，是不是故障了？", "整个小区都没网，已经{hours}个小时了。",
    "又断网了，一点信号都没有。", NULL};
static SynthList outage_a = {"什么时候能恢复？", "请尽快修复网络。", "断网期间的费用能减免吗？",
                             "我在家办公，急需网络。", NULL};

static SynthList password_i = {
    "忘记密码了，登录不了APP。", "重置密码的邮件一直收不到。", "怎么修改登录密码？",
    "验证码发到{phone}但是一直提示错误。", "重置链接点开就显示已过期。", "密码改了还是提示密码错误。",
    NULL};
static SynthList password_a = {"请再发一次重置链接。", "能帮我重置一下吗？", "我的邮箱是{email}。",
                               NULL};

static SynthList delivery_i = {
    "订单{order}说{date}送到，现在还没到。", "我的{product}物流{days}天没更新了。",
    "{courier}显示已签收，但是我根本没收到。", "新的SIM卡寄了好久还没到。",
    "快递一直延迟，什么时候发货？", "买的{product}卡在{courier}中转站不动了。", NULL};
static SynthList delivery_a = {"请帮我查一下物流。", "到底什么时候能送到？",
                               "再不到我就要取消订单了。", "请给我快递单号。", NULL};

static SynthList payfail_i = {
    "缴费{amount}一直失败。", "自动扣款这个月没成功，还收到了欠费通知。", "付款的时候提示交易被拒绝。",
    "APP上交话费一直报错，试了{n}次。", "卡里有钱，为什么支付不成功？", "绑定的{card}付款总是超时。",
    NULL};
static SynthList payfail_a = {"请帮我查一下为什么付不了款。", "还有别的缴费方式吗？",
                              "别给我停机，我在交钱！", NULL};

static SynthList slow_i = {
    "网速特别慢，测速只有{speed}M。", "每天晚上网速都很卡，视频一直缓冲。", "{date}开始WiFi就特别慢。",
    "在{city}用4G上网慢得要命。", "办的是{plan}，网速却只有一点点。", "打游戏延迟好几百毫秒。", NULL};
static SynthList slow_a = {"请帮我检查一下线路。", "能派师傅上门看看吗？", "网速不恢复就给我降价。",
                           NULL};

static SynthList sim_i = {
    "SIM卡坏了，手机显示无SIM卡。", "手机丢了，要补办一张原号码的SIM卡。", "新买的{product}能换成eSIM吗？",
    "手机提示SIM卡已锁，要输入PUK码。", "卡太大了放不进新手机。", "手机摔了以后读不出卡。", NULL};
static SynthList sim_a = {"请给我寄一张新卡。", "可以去{city}的营业厅补卡吗？", "号码要保留。", NULL};

static SynthList locked_i = {
    "账户因为多次输错密码被锁了。", "收到短信说账户因安全原因被冻结。", "网银显示账户已锁定，请联系客服。",
    "有人试图登录我的账户，现在被锁住了。", "输错{n}次PIN码，APP把我锁在外面了。",
    "账号突然被封了，不知道为什么。", NULL};
static SynthList locked_a = {"请帮我解锁账户。", "怎么验证身份解锁？", "今天就要用，急！", NULL};

static SynthList roaming_i = {
    "我{date}要去{country}，怎么开通国际漫游？", "在{country}漫游用不了。", "请帮我开通国际漫游。",
    "去{country}的漫游资费是多少？", "已经到{country}了，手机没有信号。", NULL};
static SynthList roaming_a = {"出发前请帮我开通。", "一天多少钱？", "能加一个出境流量包吗？", NULL};

static SynthList address_i = {"我搬家了，请更新账户地址。", "账单地址要改成{addr}。",
                              "下个月搬到{city}，宽带能迁过去吗？", "账户上的地址写错了。",
                              "账单一直寄到我以前的地址。", NULL};
static SynthList address_a = {"新地址是{city}{addr}。", "以后账单寄到新地址。", "改好了请告诉我。",
                              NULL};

static SynthList invoice_i = {"能发一份{date}的发票给我吗？", "需要最近{n}个月的账单用来报销。",
                              "在哪里下载电子发票？", "这个月没有收到账单。",
                              "订单{order}请开增值税发票。", NULL};
static SynthList invoice_a = {"请发到{email}。", "PDF格式就可以。", "抬头写公司名称。", NULL};

static SynthList usage_i = {"这个月还剩多少流量？", "流量用得比平时快很多。",
                            "APP显示我用了{gb}G，可我几乎没用手机。", "为什么收到流量超额提醒？",
                            "看视频算不算流量？", NULL};
static SynthList usage_a = {"能给我流量明细吗？", "有没有便宜的流量包？",
                            "请查一下是不是后台在偷跑流量。", NULL};

static SynthList repair_i = {"{product}屏幕碎了，可以维修吗？", "{product}充不进电了。",
                             "路由器老是自己重启。", "在你们这买的{product}有问题，电池一个小时就没电。",
                             "{product}还在保修期内吗？", "手机发烫然后自动关机。", NULL};
static SynthList repair_a = {"去哪里修？", "能换一台新的吗？", "修好要多久？", NULL};

static SynthList transfer_i = {"我转账{amount}给朋友，对方一直没收到。",
                               "转到{bank}的钱失败了，但是我账户已经扣款。",
                               "转账{amount}显示处理中已经{days}天了。",
                               "汇款到{country}被退回了，还扣了手续费。", NULL};
static SynthList transfer_a = {"我的钱去哪了？", "请帮我查询这笔转账。", "这笔钱很急，请尽快处理。",
                               NULL};

static SynthList paymethod_i = {"我换了新的{card}，怎么在账户里更新？", "请把自动扣款改成我新的银行账户。",
                                "卡过期了，需要换一张绑定。", "能用支付宝或者微信付款吗？",
                                "怎么解绑旧卡、绑定新卡？", NULL};
static SynthList paymethod_a = {"新卡尾号{last4}。", "下次扣费前请帮我改好。", "APP里在哪里设置？",
                                NULL};

static SynthList renewal_i = {"我的合约{date}到期，续约有什么优惠？", "收到通知说合约快到期了。",
                              "续约能送新的{product}吗？", "想续约但是要保持原来的价格。",
                              "再签两年有没有老用户优惠？", NULL};
static SynthList renewal_a = {"请把续约方案发给我。", "不换手机可以续约吗？", "新的月费是多少？", NULL};

const char *const *const tml_synth_zh_issue[SYNTH_N_INTENTS] = {
    card_lost_i, refund_i,  billing_i, cancel_i, upgrade_i,  outage_i,   password_i,
    delivery_i,  payfail_i, slow_i,    sim_i,    locked_i,   roaming_i,  address_i,
    invoice_i,   usage_i,   repair_i,  transfer_i, paymethod_i, renewal_i};
const char *const *const tml_synth_zh_ask[SYNTH_N_INTENTS] = {
    card_lost_a, refund_a,  billing_a, cancel_a, upgrade_a,  outage_a,   password_a,
    delivery_a,  payfail_a, slow_a,    sim_a,    locked_a,   roaming_a,  address_a,
    invoice_a,   usage_a,   repair_a,  transfer_a, paymethod_a, renewal_a};

static SynthList greeting = {"你好，", "您好，", "客服你好，", "在吗？", "喂，", "你好", NULL};
static SynthList generic_issue = {"我的账户有问题。", "服务出问题了。", "有个问题想咨询一下。",
                                  "麻烦帮我看一下我的账户。", NULL};
static SynthList generic_ask = {"请帮帮我。", "请尽快回复。", "麻烦回个电话{phone}。", "怎么办？",
                                "麻烦处理一下。", NULL};
static SynthList detail = {"我的账号是{acct}。", "我用的是{plan}。", "我是{n}年的老用户了。",
                           "联系邮箱{email}。", "截图在这里：{url}", "工单号{ref}。", NULL};
static SynthList neg_open = {"太让人生气了！", "真的受够了。", "你们到底管不管？", "无语了。",
                             "非常不满意！", NULL};
static SynthList neg_close = {"服务太差了！", "非常失望。", "再不解决我就去投诉！", "垃圾服务。",
                              "气死我了。", "我要换运营商了。", "太坑了！", NULL};
static SynthList pos_open = {"你们服务一直很好，", "先给你们点个赞，", "不急，", NULL};
static SynthList pos_close = {"谢谢，你们的服务真好！", "非常感谢，处理得很快！", "辛苦了，很满意。",
                              "给你们点赞！", "服务很棒，谢谢！", NULL};
static SynthList neutral_close = {"谢谢。", "麻烦了。", "好的。", "谢谢", NULL};
static SynthList followup = {"这是我第{n}次联系你们了。", "上次的工单{ref}还没处理。",
                             "之前已经反映过了，还是没解决。", NULL};
static SynthList wait = {"等了{hours}个小时都没人回复。", "在线客服一直没人理。",
                         "{days}天了还没有回复。", NULL};
static SynthList signoff = {"发自我的手机", "{name}", NULL};

const SynthCommonBank tml_synth_common_zh = {greeting, generic_issue, generic_ask, detail,
                                         neg_open, neg_close,     pos_open,    pos_close,
                                         neutral_close, followup, wait,        signoff};

static SynthList product = {"iPhone 15", "华为Mate 60", "小米14", "路由器", "OPPO手机",
                            "iPad", "荣耀手机", "光猫", "智能手表", "vivo手机", NULL};
static SynthList plan = {"畅享套餐", "5G无限流量", "千兆宽带", "家庭融合套餐", "基础套餐", NULL};
static SynthList card = {"信用卡", "借记卡", "银行卡", "AcmePay卡", NULL};
static SynthList city = {"上海", "北京", "深圳", "广州", "杭州", "成都", "南京", "武汉", NULL};
static SynthList country = {"日本", "泰国", "美国", "法国", "韩国", "新加坡", "英国", NULL};
static SynthList merchant = {"淘宝", "京东", "美团", "拼多多", "携程", NULL};
static SynthList bank = {"招商银行", "工商银行", "建设银行", "中国银行", NULL};
static SynthList courier = {"顺丰", "京东物流", "中通", "圆通", NULL};
static SynthList street = {"浦东新区世纪大道", "朝阳区建国路", "南山区科技园", "天河区体育西路", NULL};
static SynthList name = {"王先生", "李女士", "张伟", "刘洋", "陈静", NULL};
static SynthList relday = {"昨天", "上周五", "今天早上", "前天", "上周", "周一", "昨晚", NULL};
static SynthList month = {NULL};

const SynthSlotBank tml_synth_slots_zh = {product, plan, card,  city,   country, merchant,
                                      bank,    courier, street, name, relday,  month};
