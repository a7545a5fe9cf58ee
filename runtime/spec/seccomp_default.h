/* The default seccomp profile that `husk spec` writes, equivalent to the container default
 * that podman and docker ship. */
#ifndef HUSK_RUNTIME_SECCOMP_DEFAULT_H
#define HUSK_RUNTIME_SECCOMP_DEFAULT_H

/* JSON text of an OCI linux.seccomp object (static storage, never freed). */
const char *rt_seccomp_default_profile(void);

#endif
