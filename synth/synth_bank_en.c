/* synth_bank_en.c — English phrase banks of the corpus generator: per intent an "issue" sentence
 * and an optional "ask" sentence, plus parts shared by every ticket. Intents deliberately share
 * words (charge, cancel, card, slow, locked...) so intent classification is not trivial. */
#include "synth/synth_internal.h"

/* ---- per intent ------------------------------------------------------------------------------ */
static SynthList card_lost_i = {
    "I lost my {card} somewhere {date} and I can't find it anywhere.",
    "my {card} ending in {last4} was stolen",
    "Someone stole my wallet with my {card} in it {date}.",
    "I think I left my card at a restaurant in {city}, it's gone.",
    "Lost my card. ending {last4}.",
    "My {card} is missing and I see a charge of {amount} at {merchant} I didn't make.",
    "I can't find my bank card since {date}, pretty sure it was stolen.",
    "my purse got stolen {date}, my {card} was inside",
    "Card lost while travelling in {country}.",
    "I dropped my {card} somewhere on the way home.",
    "My wallet is gone, cards and all.",
    "The ATM in {city} swallowed my card and didn't give it back.",
    NULL};
static SynthList card_lost_a = {
    "Please block the card immediately.",
    "Can you freeze my card and send a new one?",
    "How do I order a replacement card?",
    "Please cancel the card ending {last4} right away.",
    "I need a new card sent to my address.",
    "Make sure nobody can use it.",
    NULL};

static SynthList refund_i = {
    "I returned the {product} {date} but still haven't got my refund.",
    "I was charged {amount} for an order I cancelled, I want my money back.",
    "Order {order} was cancelled but the {amount} hasn't been refunded.",
    "The {product} arrived broken so I sent it back, where is my refund?",
    "You promised a refund of {amount} {days} days ago.",
    "I'd like a refund for {order}, the item never worked.",
    "requesting a refund for my last bill, I paid it twice",
    "My refund for {order} still shows as pending.",
    "I returned the accessories {date}, the return label said refund in 5 days.",
    "Money back please, the {product} is not what was advertised.",
    NULL};
static SynthList refund_a = {
    "Please refund the {amount} to my {card}.",
    "When will I get the money back?",
    "I want a full refund.",
    "Can you process the refund today?",
    "How long does a refund take?",
    "Please send the refund to the original payment method.",
    NULL};

static SynthList billing_i = {
    "My bill this month is {amount}, usually it's {amount2}. Why?",
    "There's a charge of {amount} on my bill I don't recognise.",
    "You charged me twice for the same payment {date}.",
    "I'm being billed for {plan} but I never signed up for it.",
    "Why was I charged a {amount} late fee? I paid on time.",
    "My invoice shows roaming charges of {amount} but I was never abroad.",
    "unknown charge on my statement from {merchant}, {amount}",
    "I was overcharged {amount} on my last bill.",
    "The promo price was {amount2} but you billed me {amount}.",
    "There is an extra fee on my account I never agreed to.",
    "My bill went up to {amount} without any notice.",
    NULL};
static SynthList billing_a = {
    "Please remove this charge.",
    "I want these charges reversed.",
    "Can you explain this charge?",
    "Please correct my bill.",
    "I dispute this charge.",
    "Credit my account for the difference.",
    NULL};

static SynthList cancel_i = {
    "I want to cancel my {plan} subscription.",
    "Please cancel my account at the end of this month.",
    "How do I cancel my contract? I'm moving to another provider.",
    "I no longer need the {plan} plan, cancel it please.",
    "Cancel my service effective {date}.",
    "I'm thinking about leaving, your competitor offers the same for {amount2}.",
    "I'd like to terminate my plan and close my account.",
    "stop my subscription, I don't use it anymore",
    "What's the early termination fee if I cancel now?",
    "I want to port my number out and end my service.",
    "Please close my account, I'm switching to another carrier.",
    NULL};
static SynthList cancel_a = {
    "Please confirm the cancellation by email.",
    "Don't charge me again after {date}.",
    "What do I need to do to cancel?",
    "Just cancel it.",
    "Send me the final bill.",
    "I need the PAC code to switch.",
    NULL};

static SynthList upgrade_i = {
    "I'd like to upgrade to the {plan} plan.",
    "Can I switch from my current plan to {plan}?",
    "I keep running out of data, is there a bigger plan?",
    "Is there an offer to upgrade my phone to the {product}?",
    "I want more data and faster speeds, what plans do you have?",
    "How much would {plan} cost per month?",
    "Interested in upgrading to fiber at my home.",
    "Can I add a line to my plan for my daughter?",
    "Thinking of moving up to \"{plan}\", is it worth it?",
    "I want the plan with unlimited data.",
    NULL};
static SynthList upgrade_a = {
    "Please upgrade my plan from next month.",
    "What's the price difference?",
    "Send me the options please.",
    "Can I keep my number when upgrading?",
    "Let me know if there's a discount for existing customers.",
    NULL};

static SynthList outage_i = {
    "No signal at all in {city} since {time}.",
    "The whole network is down in my area.",
    "My internet has been completely down since {date}.",
    "no service, can't make calls or use data",
    "Is there an outage in {city}? Nothing works.",
    "The internet went off again and the router lights are red.",
    "Mobile network down for {hours} hours now.",
    "zero bars in {city} today, neighbours have the same problem",
    "Calls keep failing and there is no connection at all.",
    "Broadband is dead, the whole street is offline.",
    "Network outage again?? no internet since {time}",
    NULL};
static SynthList outage_a = {
    "When will service be restored?",
    "Please fix the network asap.",
    "Is there an ETA for the fix?",
    "I need the internet for work, please fix it.",
    "Will I get credit for the downtime?",
    NULL};

static SynthList password_i = {
    "I forgot my password and can't log in to the app.",
    "The password reset email never arrives.",
    "How do I reset my password?",
    "The reset link says expired every time I click it.",
    "I can't remember the login password for my online account.",
    "Need to change my password, I think someone knows it.",
    "The reset code sent to {phone} doesn't work.",
    "forgot pw, can't get into my account",
    "The app keeps saying wrong password even after I changed it.",
    "Where is the forgot password button on the website?",
    NULL};
static SynthList password_a = {
    "Please send me a new reset link.",
    "Can you reset it for me?",
    "How can I log in again?",
    "My email is {email}.",
    "The username is {email}.",
    NULL};

static SynthList delivery_i = {
    "My order {order} was supposed to arrive {date} and it's still not here.",
    "Where is my {product}? Tracking hasn't updated for {days} days.",
    "The {courier} tracking says delivered but I never got the package.",
    "Still waiting for my new SIM card to be delivered.",
    "Order {order} is late, it's been {days} days.",
    "My {product} delivery keeps getting postponed.",
    "The courier didn't show up {date}.",
    "When will my order ship? I ordered the {product} {days} days ago.",
    "Package with my {product} is stuck at the {courier} depot.",
    "Delivery was missed and nobody left a note.",
    NULL};
static SynthList delivery_a = {
    "Please tell me when it will arrive.",
    "Can you check with the courier?",
    "If it doesn't arrive by {date} I want to cancel the order.",
    "Please send a tracking number.",
    "Can I pick it up from a store instead?",
    NULL};

static SynthList payfail_i = {
    "My payment of {amount} keeps getting declined.",
    "I tried to pay my bill but it says payment failed.",
    "Autopay didn't go through this month and now I have a late notice.",
    "Card payment error when paying online, tried {n} times.",
    "The app says 'transaction declined' when I try to pay {amount}.",
    "Why was my payment rejected? There's enough money in my account.",
    "Can't pay my bill, the checkout page shows an error.",
    "The payment page times out every time I enter my {card}.",
    "My direct debit bounced even though the money was there.",
    NULL};
static SynthList payfail_a = {
    "Please check why the payment fails.",
    "How else can I pay?",
    "Don't suspend my service, I'm trying to pay!",
    "Can you take the payment over the phone?",
    "Is there a problem with your payment system?",
    NULL};

static SynthList slow_i = {
    "My internet is super slow, only {speed} Mbps instead of {n}00.",
    "Speed drops every evening, videos keep buffering.",
    "WiFi is very slow since {date}.",
    "4G data is painfully slow in {city}.",
    "I'm paying for {plan} but getting a fraction of the speed.",
    "internet keeps lagging and disconnecting",
    "Speed test shows {speed} Mbps download.",
    "The connection is so slow I can't even load a page.",
    "Video calls freeze all the time, the upload speed is terrible.",
    "Gaming ping is over {n}00 ms since last week.",
    NULL};
static SynthList slow_a = {
    "Please check my line.",
    "Can you send a technician?",
    "Fix the speed or lower my bill.",
    "Is something wrong in my area?",
    "Can you reset the connection from your side?",
    NULL};

static SynthList sim_i = {
    "My SIM card stopped working, it says no SIM.",
    "I need a new SIM, mine is damaged.",
    "I lost my phone and need a replacement SIM with the same number.",
    "Can I switch to an eSIM for my {product}?",
    "The SIM is too big for my new {product}.",
    "sim not detected after I dropped my phone",
    "Phone says 'SIM locked, enter PUK'.",
    "My SIM card got cut wrong and doesn't fit.",
    "Need a SIM swap, the old one is broken.",
    NULL};
static SynthList sim_a = {
    "Please send me a new SIM card.",
    "Can I pick up a SIM in a store in {city}?",
    "How do I activate the new SIM?",
    "Please keep my number.",
    "What is the PUK code?",
    NULL};

static SynthList locked_i = {
    "My account is locked after too many login attempts.",
    "I got a message that my account was suspended for security reasons.",
    "Online banking says account locked, contact support.",
    "I can't access my account, it says blocked.",
    "Someone tried to log into my account and now it's locked.",
    "The app locked me out after I entered the wrong PIN {n} times.",
    "my account has been frozen and I don't know why",
    "Login blocked: 'unusual activity detected'.",
    "I'm locked out of my online account since {date}.",
    NULL};
static SynthList locked_a = {
    "Please unlock my account.",
    "How do I verify my identity to unlock it?",
    "I need access today, please help.",
    "Can you reactivate it?",
    "I can send ID if needed.",
    NULL};

static SynthList roaming_i = {
    "I'm travelling to {country} {date}, how do I turn on roaming?",
    "Roaming doesn't work here in {country}.",
    "Please activate international roaming on my line.",
    "What are the roaming rates for {country}?",
    "I'm abroad and have no data even though roaming is on.",
    "Do I need a travel pass for {country}?",
    "landed in {country}, phone shows no service",
    "Going on holiday to {country} next week, will my phone work there?",
    NULL};
static SynthList roaming_a = {
    "Please enable it before I leave.",
    "How much does it cost per day?",
    "Can you add a travel pass to my plan?",
    "I don't want a huge bill when I come back.",
    NULL};

static SynthList address_i = {
    "I moved to a new address, please update my account.",
    "I need to change my billing address to {addr}.",
    "I'm moving to {city} next month, can I transfer my service?",
    "Please update my mailing address.",
    "The address on my account is wrong.",
    "We are relocating {date}, how do I move my internet?",
    "Change of address: new place is {addr}, {city}.",
    "My bills keep going to my old apartment.",
    NULL};
static SynthList address_a = {
    "The new address is {addr}, {city}.",
    "Please send future bills to the new address.",
    "Can you confirm once updated?",
    "Do I need a new router at the new place?",
    NULL};

static SynthList invoice_i = {
    "Can you send me a copy of my invoice for {date}?",
    "I need my bills from the last {n} months for my taxes.",
    "Where can I download my invoice?",
    "Please email me a VAT invoice for order {order}.",
    "I didn't receive my bill this month.",
    "I need an itemized statement for my expense report.",
    "My company needs a receipt for the {amount} payment.",
    "Can I get paper invoices instead of e-bills?",
    NULL};
static SynthList invoice_a = {
    "Send it to {email} please.",
    "A PDF is fine.",
    "Thanks in advance.",
    "Please put my company name on it.",
    NULL};

static SynthList usage_i = {
    "How much data do I have left this month?",
    "My data ran out way faster than usual.",
    "The app says I used {gb} GB but I barely used my phone.",
    "Why did I get a data overage warning?",
    "Does streaming count towards my data cap?",
    "Can you check my data usage for {date}?",
    "I got a text that I've used 90% of my data.",
    "My hotspot usage seems way too high, {gb} GB in a week?",
    NULL};
static SynthList usage_a = {
    "Can you show me the breakdown?",
    "Is there a cheaper add-on for more data?",
    "Please check if something is using data in the background.",
    "When does my allowance reset?",
    NULL};

static SynthList repair_i = {
    "My {product} screen cracked, can I get it repaired?",
    "The {product} won't charge anymore.",
    "My router keeps restarting by itself.",
    "The {product} I bought from you is faulty, the battery dies in an hour.",
    "The speaker on my {product} stopped working.",
    "Is my {product} still under warranty?",
    "The modem has a blinking red light and won't turn on.",
    "Camera on the {product} is blurry after the update.",
    "My phone overheats and shuts down.",
    NULL};
static SynthList repair_a = {
    "Where can I get it fixed?",
    "Can you send a replacement device?",
    "How long will the repair take?",
    "Please book a technician visit.",
    "Is the repair free?",
    NULL};

static SynthList transfer_i = {
    "I sent {amount} to my friend and it never arrived.",
    "My bank transfer to {bank} failed but the money left my account.",
    "A transfer of {amount} is stuck as pending for {days} days.",
    "My international transfer to {country} was rejected.",
    "The money I transferred {date} bounced back with a fee.",
    "Wire transfer failed with error code {n}0{n}.",
    "A top-up transfer from my {bank} account didn't go through.",
    "I moved {amount} between my accounts and it disappeared.",
    NULL};
static SynthList transfer_a = {
    "Where is my money?",
    "Please trace the transfer.",
    "Can you reverse the transfer?",
    "I need this money urgently.",
    "Send me the transaction reference please.",
    NULL};

static SynthList paymethod_i = {
    "I got a new {card}, how do I update it on my account?",
    "Please change my autopay to my new bank account.",
    "I want to switch from paper checks to automatic card payments.",
    "My card on file expired, I need to add a new one.",
    "How do I remove my old card and add a new payment method?",
    "Can I pay with PayPal instead of a card?",
    "I'd like to set up direct debit from my {bank} account.",
    "Please take the bill from a different card from now on.",
    NULL};
static SynthList paymethod_a = {
    "The new card ends in {last4}.",
    "Please update it before my next bill.",
    "Where do I do this in the app?",
    "Don't charge the old card anymore.",
    NULL};

static SynthList renewal_i = {
    "My contract ends {date}, what are my renewal options?",
    "I got a letter that my contract is expiring.",
    "Can I renew my contract and get a new {product}?",
    "What happens when my {n}-year contract ends?",
    "I want to renew but keep the same price.",
    "Is there a loyalty offer if I renew for another two years?",
    "My contract is up next month, should I sign again?",
    "Thinking about renewing, but only if the price stays at {amount2}.",
    NULL};
static SynthList renewal_a = {
    "Please send me the renewal offer.",
    "Can I renew without a new phone?",
    "Let me know the new monthly price.",
    "Otherwise I'll look at other providers.",
    NULL};

const char *const *const tml_synth_en_issue[SYNTH_N_INTENTS] = {
    card_lost_i, refund_i,  billing_i, cancel_i, upgrade_i,  outage_i,   password_i,
    delivery_i,  payfail_i, slow_i,    sim_i,    locked_i,   roaming_i,  address_i,
    invoice_i,   usage_i,   repair_i,  transfer_i, paymethod_i, renewal_i};
const char *const *const tml_synth_en_ask[SYNTH_N_INTENTS] = {
    card_lost_a, refund_a,  billing_a, cancel_a, upgrade_a,  outage_a,   password_a,
    delivery_a,  payfail_a, slow_a,    sim_a,    locked_a,   roaming_a,  address_a,
    invoice_a,   usage_a,   repair_a,  transfer_a, paymethod_a, renewal_a};

/* ---- shared parts ------------------------------------------------------------------------------ */
static SynthList greeting = {"Hi,", "Hello,", "Hey there,", "Good morning,", "Dear support,",
                             "Hi team,", "Hello AcmeTel,", "hi", "Good evening,", "Hey,", NULL};
static SynthList generic_issue = {
    "I have a problem with my account.",
    "Something is wrong with my service.",
    "I need help with my account please.",
    "There is an issue I need sorted out.",
    "I have a question about my service.",
    "Can someone look at my account?",
    NULL};
static SynthList generic_ask = {"Please help.", "Can someone get back to me?", "Please advise.",
                                "Call me at {phone}.", "What should I do?", "Let me know.",
                                "Please look into it.", NULL};
static SynthList detail = {
    "My account number is {acct}.",
    "I'm on the {plan} plan.",
    "I've been a customer for {n} years.",
    "You can reach me at {email}.",
    "My number is {phone}.",
    "Screenshot here: {url}",
    "Ref {ref}.",
    "I already checked the FAQ at {url}",
    "Tried restarting, no change.",
    NULL};
static SynthList neg_open = {"I'm extremely frustrated.", "This is ridiculous!", "Seriously??",
                             "I am so angry right now.", "Unbelievable.",
                             "Honestly fed up with this.", "Not happy at all.",
                             "This is the worst experience I've had with any company.", NULL};
static SynthList neg_close = {
    "Worst customer service ever.", "Very disappointed.",        "Fix this now!",
    "I'm about to switch providers.", "Absolutely terrible.",    "This is a joke.",
    "You guys are useless.",        "I will file a complaint.", "Thanks for nothing.",
    "Totally unacceptable.",        "Sort it out!!",            "I'm so done with AcmeTel.",
    NULL};
static SynthList pos_open = {"Hope you're well!", "First of all, love your service.",
                             "Quick question, nothing urgent :)", "Happy customer here!",
                             "You've always been great so far.", NULL};
static SynthList pos_close = {
    "Thanks so much, you guys are great!", "Really appreciate the quick help!",
    "Love the service, keep it up.",      "Thank you, awesome support as always!",
    "Great app by the way :)",            "Cheers, you've been very helpful!",
    "Thanks, excellent service!",         "You're the best, thank you!",
    NULL};
static SynthList neutral_close = {"Thanks.", "Thank you.", "Regards.", "Thanks in advance.",
                                  "Best regards.", "Cheers.", "ok thanks", "Kind regards.", NULL};
static SynthList followup = {"This is my {nth} time contacting you about this.",
                             "Following up on ticket {ref}.",
                             "Still not resolved since my last message.",
                             "I already reported this {date}.",
                             "Writing again because nobody fixed it.",
                             "Same issue as my previous ticket {ref}.", NULL};
static SynthList wait = {"I've been waiting {hours} hours for a reply.",
                         "Nobody answered my chat for ages.",
                         "Still no response after {days} days.",
                         "Been on hold forever.",
                         "Why does it take so long to get an answer?", NULL};
static SynthList signoff = {"Regards, {name}", "Sent from my iPhone", "Thanks, {name}",
                            "-- {name}", "Best, {name}", NULL};

const SynthCommonBank tml_synth_common_en = {greeting, generic_issue, generic_ask, detail,
                                         neg_open, neg_close,     pos_open,    pos_close,
                                         neutral_close, followup, wait,        signoff};

/* ---- slot values --------------------------------------------------------------------------- */
static SynthList product = {"iPhone 15", "Galaxy S24", "Pixel 8", "AcmeBox router", "Moto G",
                            "iPad Air", "Xiaomi 14", "Galaxy A54", "iPhone 13", "smartwatch",
                            "mesh WiFi kit", "Huawei P60", "OnePlus 12", "tablet", NULL};
static SynthList plan = {"Unlimited Plus", "Basic 10GB", "Fiber 500", "Family Share",
                         "Premium 5G", "Fiber 1000", "Starter", "Unlimited Max", NULL};
static SynthList card = {"debit card", "credit card", "AcmePay card", "Visa card", "Mastercard",
                         "bank card", "AcmePay debit card", NULL};
static SynthList city = {"Chicago", "Austin", "Seattle", "Denver", "Boston", "Miami",
                         "Phoenix", "Portland", "Atlanta", "San Diego", NULL};
static SynthList country = {"Spain", "Japan", "Mexico", "Canada", "France", "Italy",
                            "Thailand", "the UK", "Germany", "Brazil", NULL};
static SynthList merchant = {"Amazon", "Netflix", "Uber", "Walmart", "Spotify", "Steam",
                             "eBay", "Apple", NULL};
static SynthList bank = {"Chase", "Wells Fargo", "HSBC", "Citi", "Bank of America", "Revolut",
                         NULL};
static SynthList courier = {"UPS", "FedEx", "DHL", "USPS", NULL};
static SynthList street = {"Oak Street", "Maple Ave", "Pine Road", "Main Street", "Cedar Lane",
                           "Elm Court", "Lake Drive", NULL};
static SynthList name = {"John", "Maria", "David", "Sarah", "Mike", "Linda", "James", "Emma",
                         "Carlos", "Priya", "Wei", "Aisha", NULL};
static SynthList relday = {"yesterday", "last Friday", "this morning", "two days ago",
                           "last week", "on Monday", "last night", NULL};
static SynthList month = {"January", "February", "March",     "April",   "May",      "June",
                          "July",    "August",   "September", "October", "November", "December",
                          NULL};

const SynthSlotBank tml_synth_slots_en = {product, plan, card,  city,   country, merchant,
                                      bank,    courier, street, name, relday,  month};
