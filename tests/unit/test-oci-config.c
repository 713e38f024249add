/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The config parser: valid configs parse into the model, every invalid one is refused with
 * the JSON path and the reason. */
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "json-util.h"
#include "oci-config.h"
#include "tap.h"
#include "util.h"

static const char *base = "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},"
                          "\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],\"cwd\":\"/\"},"
                          "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"}]}}";

/* Parse base with one edit applied: path is "a.b" (objects only), value JSON text. */
static int parse_with(const char *key1, const char *key2, const char *value, OciConfig **ret, char **err)
{
        json_t *j = json_loads(base, 0, NULL);
        json_error_t je;
        json_t *v = value ? json_loadb_lenient(value, strlen(value), JSON_DECODE_ANY, &je) : NULL;
        if (value && !v) {
                printf("# test bug: cannot parse %s: %s\n", value, je.text);
                abort();
        }
        json_t *obj = j;
        if (key2) {
                obj = json_object_get(j, key1);
                if (!obj)
                        json_object_set_new(j, key1, obj = json_object());
                key1 = key2;
        }
        if (v)
                json_object_set_new(obj, key1, v);
        else
                json_object_del(obj, key1);
        *err = NULL;
        int r = oci_config_parse_json(j, ret, err);
        json_decref(j);
        return r;
}

static void expect_error(const char *k1, const char *k2, const char *value, const char *expected)
{
        OciConfig *c = NULL;
        char *err = NULL;
        int r = parse_with(k1, k2, value, &c, &err);
        CHECK(r < 0 && err && strstr(err, expected), "%s.%s=%s → '%s' (got '%s')", k1, k2 ? k2 : "",
              value ? value : "(deleted)", expected, err ? err : "(none)");
        oci_config_free(c);
        free(err);
}

static OciConfig *expect_ok(const char *k1, const char *k2, const char *value)
{
        OciConfig *c = NULL;
        char *err = NULL;
        int r = parse_with(k1, k2, value, &c, &err);
        CHECK(r == 0, "%s.%s=%s parses (%s)", k1, k2 ? k2 : "", value ? value : "(deleted)",
              err ? err : "ok");
        free(err);
        return c;
}

int main(void)
{
        OciConfig *c;

        /* versions */
        c = expect_ok("ociVersion", NULL, "\"1.3.0\"");
        oci_config_free(c);
        c = expect_ok("ociVersion", NULL, "\"1.0.2-dev\"");
        oci_config_free(c);
        expect_error("ociVersion", NULL, "\"2.0.0\"", "ociVersion: version '2.0.0' not supported");
        expect_error("ociVersion", NULL, "\"banana\"", "ociVersion: 'banana' is not a SemVer version");
        expect_error("ociVersion", NULL, NULL, "ociVersion: required but missing");
        expect_error("ociVersion", NULL, "3", "ociVersion: expected a string, got an integer");

        /* namespaces */
        expect_error("linux", "namespaces", "[{\"type\":\"pid\"},{\"type\":\"mount\"},{\"type\":\"foo\"}]",
                     "linux.namespaces[2].type: unknown namespace 'foo'");
        expect_error("linux", "namespaces", "[{\"type\":\"pid\"},{\"type\":\"pid\"}]",
                     "linux.namespaces[1].type: namespace 'pid' given twice");
        expect_error("linux", "namespaces", "[{\"type\":\"network\",\"path\":\"run/netns/x\"}]",
                     "linux.namespaces[0].path: 'run/netns/x' is not an absolute path");
        expect_error("linux", "namespaces", "[{\"type\":\"user\"}]",
                     "a new user namespace needs uidMappings");
        c = expect_ok(
                "linux", "namespaces",
                "[{\"type\":\"pid\"},{\"type\":\"network\",\"path\":\"/run/netns/x\"},{\"type\":\"mount\"},"
                "{\"type\":\"uts\"},{\"type\":\"ipc\"},{\"type\":\"cgroup\"},{\"type\":\"time\"}]");
        if (c) {
                CHECK(c->n_namespaces == 7, "seven namespaces");
                CHECK(oci_config_namespace(c, CLONE_NEWNET) &&
                              streq(oci_config_namespace(c, CLONE_NEWNET)->path, "/run/netns/x"),
                      "network namespace path kept");
                oci_config_free(c);
        }
        expect_error("hostname", NULL, "\"box\"",
                     "hostname: setting a hostname needs a private UTS namespace");

        /* process */
        expect_error("process", "cwd", "\"relative\"", "process.cwd: 'relative' is not an absolute path");
        expect_error("process", "args", "[]", "process.args: at least one argument is required");
        expect_error("process", "args", "[1]", "process.args[0]: expected a string");
        expect_error("process", "user", NULL, "process.user: required but missing");
        expect_error("process", "env", "[\"NOEQUALS\"]",
                     "process.env: 'NOEQUALS' is not of the form KEY=VALUE");
        expect_error("process", "rlimits",
                     "[{\"type\":\"RLIMIT_NOFILE\",\"soft\":1,\"hard\":2},{\"type\":\"RLIMIT_NOFILE\","
                     "\"soft\":1,\"hard\":2}]",
                     "process.rlimits[1].type: rlimit 'RLIMIT_NOFILE' given twice");
        expect_error("process", "rlimits", "[{\"type\":\"RLIMIT_BOGUS\",\"soft\":1,\"hard\":2}]",
                     "process.rlimits[0].type: unknown rlimit 'RLIMIT_BOGUS'");
        expect_error("process", "rlimits", "[{\"type\":\"RLIMIT_NOFILE\",\"soft\":3,\"hard\":2}]",
                     "process.rlimits[0]: soft limit above hard limit");
        expect_error("process", "oomScoreAdj", "1001", "process.oomScoreAdj: value 1001 out of range");
        expect_error("process", "user", "{\"uid\":-1,\"gid\":0}",
                     "process.user.uid: expected an unsigned integer, got -1");
        expect_error("process", "user", "{\"uid\":0,\"gid\":0,\"additionalGids\":[\"x\"]}",
                     "process.user.additionalGids[0]: expected a group ID");
        expect_error("process", "ioPriority", "{\"class\":\"IOPRIO_CLASS_NOPE\"}",
                     "process.ioPriority.class: unknown class 'IOPRIO_CLASS_NOPE'");
        c = expect_ok("process", "capabilities",
                      "{\"bounding\":[\"CAP_KILL\",\"CAP_NOT_A_CAP\"],\"effective\":[\"CAP_KILL\"]}");
        if (c) {
                CHECK(c->process->caps.bounding == (UINT64_C(1) << 5), "CAP_KILL is bit 5 of bounding");
                CHECK(c->warnings &&
                              strstr(c->warnings[0],
                                     "process.capabilities.bounding[1]: unknown capability 'CAP_NOT_A_CAP'"),
                      "an unknown capability is a warning, as the spec asks");
                oci_config_free(c);
        }
        c = expect_ok("process", "rlimits",
                      "[{\"type\":\"RLIMIT_NOFILE\",\"soft\":1024,\"hard\":18446744073709551615}]");
        if (c) {
                CHECK(c->process->n_rlimits == 1 && c->process->rlimits[0].resource == RLIMIT_NOFILE &&
                              c->process->rlimits[0].hard == UINT64_MAX,
                      "a 2^64-1 rlimit (unlimited) survives jansson's signed integers");
                oci_config_free(c);
        }

        /* mounts */
        expect_error("mounts", NULL, "[{\"destination\":\"/x\",\"type\":\"bind\"}]",
                     "mounts[0].source: a bind mount needs a source");
        expect_error("mounts", NULL,
                     "[{\"destination\":\"/x\",\"type\":\"tmpfs\",\"options\":[\"size=1,mode=0\"]}]",
                     "mounts[0].options[0]: mount option 'size=1,mode=0' contains a comma");
        expect_error("mounts", NULL, "[{\"type\":\"tmpfs\"}]",
                     "mounts[0].destination: required but missing");
        c = expect_ok("mounts", NULL,
                      "[{\"destination\":\"data\",\"type\":\"none\",\"source\":\"/"
                      "srv\",\"options\":[\"rbind\",\"ro\",\"nosuid\",\"rslave\",\"rnoexec\"]},"
                      "{\"destination\":\"/"
                      "t\",\"type\":\"tmpfs\",\"options\":[\"size=1m\",\"noexec\",\"mode=700\"]}]");
        if (c) {
                const OciMount *m = &c->mounts[0];
                CHECK(streq(m->destination, "/data"), "a relative destination means relative to /");
                CHECK(m->bind && m->rbind, "rbind");
                CHECK((m->flags & (MS_RDONLY | MS_NOSUID)) == (MS_RDONLY | MS_NOSUID),
                      "ro and nosuid flags");
                CHECK(m->propagation == (MS_SLAVE | MS_REC), "rslave propagation");
                CHECK(m->attr_set != 0, "rnoexec is a recursive attribute");
                CHECK(streq_ptr(c->mounts[1].data, "size=1m,mode=700"), "filesystem options go to data (%s)",
                      strempty(c->mounts[1].data));
                oci_config_free(c);
        }

        /* linux */
        expect_error("linux", "rootfsPropagation", "\"sideways\"",
                     "linux.rootfsPropagation: unknown propagation 'sideways'");
        expect_error("linux", "devices",
                     "[{\"path\":\"/dev/../etc/x\",\"type\":\"c\",\"major\":1,\"minor\":3}]",
                     "linux.devices[0].path: '/dev/../etc/x' is not a clean absolute path");
        expect_error("linux", "devices", "[{\"path\":\"/dev/x\",\"type\":\"q\",\"major\":1,\"minor\":3}]",
                     "linux.devices[0].type: unknown device type 'q'");
        expect_error("linux", "sysctl", "{\"net.ipv4.ip_forward\":\"1\"}",
                     "linux.sysctl.net.ipv4.ip_forward: not namespaced by this container's namespaces");
        expect_error("linux", "sysctl", "{\"../../etc\":\"1\"}",
                     "linux.sysctl.../../etc: invalid sysctl name");
        expect_error("linux", "maskedPaths", "[\"proc/kcore\"]",
                     "linux.maskedPaths: 'proc/kcore' is not an absolute path");
        expect_error("linux", "uidMappings", "[{\"containerID\":0,\"hostID\":1000,\"size\":0}]",
                     "size: must be greater than zero");
        expect_error("hooks", NULL, "{\"prestart\":[{\"path\":\"rel\"}]}",
                     "hooks.prestart[0].path: 'rel' is not an absolute path");
        expect_error("hooks", NULL, "{\"poststop\":[{\"path\":\"/bin/true\",\"timeout\":0}]}",
                     "hooks.poststop[0].timeout: must be greater than zero");
        expect_error("annotations", NULL, "{\"a\":1}", "annotations.a: expected a string");

        /* unknown fields are ignored */
        c = expect_ok("someFutureField", NULL, "{\"x\":[1,2,3]}");
        oci_config_free(c);
        /* explicit nulls mean unset */
        c = expect_ok("hooks", NULL, "null");
        oci_config_free(c);

        /* the default spec parses */
        {
                json_t *d = oci_config_default(false);
                char *err = NULL;
                OciConfig *dc = NULL;
                CHECK(oci_config_parse_json(d, &dc, &err) == 0, "the 'spec' default parses (%s)",
                      err ? err : "ok");
                json_decref(d);
                free(err);
                oci_config_free(dc);
                d = oci_config_default(true);
                err = NULL;
                dc = NULL;
                CHECK(oci_config_parse_json(d, &dc, &err) == 0, "the 'spec --rootless' default parses (%s)",
                      err ? err : "ok");
                json_decref(d);
                free(err);
                oci_config_free(dc);
        }
        return tap_done();
}
