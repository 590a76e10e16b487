/* args.h — one small option parser shared by every subcommand: named options (with or without a
 * value, optionally repeated) and positional arguments, with one clear message on misuse. */
#ifndef TICKETML_CLI_ARGS_H
#define TICKETML_CLI_ARGS_H

typedef struct CliOpt {
    const char *name;     /* "--out" */
    const char **value;   /* set to the option's value (options that take one), else NULL */
    int *flag;            /* set to 1 when present (options without a value), else NULL */
    const char **list;    /* repeated option: values appended here ... */
    int *n_list;          /* ... counted here (at most max_list) */
    int max_list;
} CliOpt;

/* Parses argv[1..argc) (argv[0] is the command name). Fills opts and pos[0..*n_pos). Prints one
 * message naming the command and returns -1 on an unknown option, a missing value or too many
 * positionals. "--opt=value" and "--opt value" are both accepted. */
int cli_parse(const char *cmd, int argc, char **argv, const CliOpt *opts, int n_opts, const char **pos, int max_pos,
              int *n_pos);

/* The text of a --text option: "-" reads standard input to its end (for texts longer than the
 * 128 KiB a command-line argument can hold), anything else is the text itself. malloc'd (caller
 * frees); NULL after printing a message naming the command when stdin cannot be read. */
char *cli_text_arg(const char *cmd, const char *value);

#endif
