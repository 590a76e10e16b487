/* commands.h — every `ticketml` subcommand, one function each, in its own cli/cmd_<name>.c.
 * Each returns the process exit status (0 ok, 1 failure/regression, 2 bad usage or bad input). */
#ifndef TICKETML_CLI_COMMANDS_H
#define TICKETML_CLI_COMMANDS_H

int cmd_train(int argc, char **argv);
int cmd_finetune(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_synth(int argc, char **argv);
int cmd_data(int argc, char **argv);
int cmd_devices(int argc, char **argv);
int cmd_drift(int argc, char **argv);

/* 1 when argv[1..] holds -h or --help. */
int cli_wants_help(int argc, char **argv);

#endif
