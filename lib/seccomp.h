/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <jansson.h>
#include <stdbool.h>

/* lib/ is on the include path, so this file shadows libseccomp's <seccomp.h>. seccomp.c defines
 * CTR_INCLUDE_LIBSECCOMP and includes <seccomp.h> through the path to get both headers. */
#ifdef CTR_INCLUDE_LIBSECCOMP
#include_next <seccomp.h>
#endif

/* linux.seccomp of the runtime-spec, through libseccomp. */

typedef struct SeccompConfig SeccompConfig;

/* Parse and validate linux.seccomp (the whole schema: defaultAction, defaultErrnoRet,
 * architectures, flags, listenerPath, listenerMetadata, syscalls[] with names, action,
 * errnoRet, args[]). path is the JSON path of the object ("linux.seccomp"), used in *err.
 * Unknown syscall names are not an error (they may exist on other arches): ignored at load. */
int seccomp_config_parse(json_t *j, const char *path, SeccompConfig **ret, char **err);
SeccompConfig *seccomp_config_free(SeccompConfig *c);

/* Build the BPF program in the runtime before forking (allocation-heavy), so the container
 * side only has to load it. Returns a prepared filter or -errno. A config the kernel or
 * libseccomp cannot take (unsupported flag, too many rules, program over 4096 instructions)
 * is -EINVAL with *err set, like a parse error; other failures (-ENOMEM, ...) leave *err alone. */
typedef struct SeccompFilter SeccompFilter;
int seccomp_filter_build(const SeccompConfig *c, SeccompFilter **ret, char **err);
SeccompFilter *seccomp_filter_free(SeccompFilter *f);

/* Load the filter into the calling thread (container side, right before execve).
 * If the config asks for SCMP_ACT_NOTIFY, *ret_notify_fd receives the listener fd
 * (the caller sends it to listenerPath), else -EBADF. Only seccomp(2): no allocation, no
 * libseccomp, async-signal-safe. The caller must have set no_new_privs (or hold CAP_SYS_ADMIN),
 * else -EACCES. ret_notify_fd may be NULL only when no listener is wanted. */
int seccomp_filter_load(SeccompFilter *f, int *ret_notify_fd);

/* Does the config use SCMP_ACT_NOTIFY (so a listener fd must be handed out)? */
bool seccomp_config_wants_listener(const SeccompConfig *c);
const char *seccomp_config_listener_path(const SeccompConfig *c);
const char *seccomp_config_listener_metadata(const SeccompConfig *c);

/* For 'features': the actions, operators and architectures this build knows. */
json_t *seccomp_features(void);
