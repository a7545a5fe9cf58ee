/* The command-line contract shared by main.c and every cmd_*.c. */
#ifndef HUSK_RUNTIME_CLI_H
#define HUSK_RUNTIME_CLI_H

#include "../../common/error.h"
#include "../context.h"

/* One command.  run() gets argv with argv[0] the command name ("create"); it parses its own
 * options with rt_getopt (which accepts single-dash long options, as go-runc passes them) and
 * returns the process exit code, or -1 with err set for main to print. */
struct rt_command {
	const char *name;
	const char *summary;
	const char *usage; /* full help text printed by `husk help NAME` / `husk NAME --help` */
	int (*run)(struct rt_globals *g, int argc, char **argv, struct rt_error *err);
};

/* Each cmd_*.c defines one or more `const struct rt_command rt_cmd_NAME` listed in main.c. */

/* getopt_long wrapper: like getopt_long, but "-name" is taken as "--name" when name is a long
 * option of more than one letter (go-runc passes "-no-subreaper").  Call with optind reset. */
struct option;
int rt_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts);

/* The one error line of an option rt_getopt returned c ('?' or one the command refuses)
 * for: "WHAT: unknown option `--x`" or, for an option given without its value, "WHAT: option
 * `--x` needs a value", each with where the help is.  Returns -1. */
int rt_cmd_bad_option(const char *what, int c, char **argv, struct rt_error *err);

/* Parse a non-negative integer option value; returns -1 with err naming the option. */
int rt_parse_uint(const char *opt, const char *value, unsigned long long max,
		  unsigned long long *ret, struct rt_error *err);

#endif
