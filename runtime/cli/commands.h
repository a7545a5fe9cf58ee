/* The command table: one `struct rt_command` per cmd_*.c. */
#ifndef HUSK_RUNTIME_COMMANDS_H
#define HUSK_RUNTIME_COMMANDS_H

#include "../core/state.h"
#include "cli.h"

extern const struct rt_command rt_cmd_create, rt_cmd_start, rt_cmd_run, rt_cmd_state, rt_cmd_kill,
    rt_cmd_delete, rt_cmd_list, rt_cmd_spec, rt_cmd_features, rt_cmd_pod, rt_cmd_network,
    rt_cmd_image, rt_cmd_bundle, rt_cmd_exec, rt_cmd_pause, rt_cmd_resume, rt_cmd_update,
    rt_cmd_events, rt_cmd_ps;

/* Helpers shared by the command files. */
struct rt_create_opts;
/* Options of create and run (is_run: --detach, --keep). */
int rt_cmd_parse_create(int argc, char **argv, int is_run, struct rt_create_opts *o,
			struct rt_error *err);
/* A command whose only argument is one container id. */
int rt_cmd_one_id(int argc, char **argv, const char **ret_id, struct rt_error *err);
/* For pause, resume, update, events, ps: open and lock the container, read its state and
 * status, and open its cgroup.  On success the caller owns d (locked), st and cg; on failure
 * everything is released.  what names the command for the error of a container that has no
 * cgroup (cmd_pause.c). */
struct rt_cgroup;
int rt_cmd_cgroup_open(struct rt_globals *g, const char *id, const char *what,
		       struct rt_container_dir *d, struct rt_state *st, enum rt_status *ret_status,
		       struct rt_cgroup *cg, struct rt_error *err);

#endif
