/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* .ctr definitions translated into the OCI config: keys, defaults, list resets, drop-ins, and
 * every error naming file, line and key. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "definition.h"
#include "json-util.h"
#include "tap.h"
#include "util.h"

static char dir[] = "/tmp/ctr-test-def.XXXXXX";
static char rootfs[256];

static void put(const char *name, const char *text)
{
        char p[512];
        snprintf(p, sizeof(p), "%s/%s", dir, name);
        FILE *f = fopen(p, "we");
        fputs(text, f);
        fclose(f);
}

static Definition *load(const char *name, char **err)
{
        Definition *d = NULL;
        *err = NULL;
        if (definition_load(name, &d, err) < 0)
                return NULL;
        return d;
}

static void expect_error(const char *name, const char *text, const char *expected)
{
        char *err;
        put("e.ctr", text);
        Definition *d = load("e", &err);
        CHECK(!d && err && strstr(err, expected), "%s: error contains '%s' (got '%s')", name, expected,
              err ? err : "(none)");
        definition_free(d);
        free(err);
}

static const char *jstr(json_t *j, const char *a, const char *b)
{
        json_t *v = json_object_get(j, a);
        return json_string_value(b ? json_object_get(v, b) : v);
}

static bool has_string(json_t *a, const char *s)
{
        size_t i;
        json_t *v;
        json_array_foreach (a, i, v)
                if (json_is_string(v) && streq(json_string_value(v), s))
                        return true;
        return false;
}

int main(void)
{
        char p[512], *err;
        if (!mkdtemp(dir))
                return 1;
        setenv("CTR_DEFINITION_PATH", dir, 1);
        snprintf(rootfs, sizeof(rootfs), "%s/root", dir);
        mkdir(rootfs, 0755);
        snprintf(p, sizeof(p), "%s/etc", rootfs);
        mkdir(p, 0755);
        put("root/etc/passwd", "root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n");
        put("root/etc/group", "root:x:0:\napp:x:1001:\nwheel:x:10:app,other\naudio:x:29:other\n");

        char text[4096];
        snprintf(
                text, sizeof(text),
                "[Unit]\nDescription=web\n\n[Container]\nRootDirectory=%s\nExec=httpd -f \"a b\"\n"
                "Environment=A=1\nEnvironment=\nEnvironment=B=2 \"C=x y\"\nUser=app\nHostname=box\n"
                "Volume=%s:/data:ro\nTmpfs=/scratch\nNetwork=netns:blue\nAddCapability=net_raw\n"
                "DropCapability=CAP_CHOWN\nNoNewPrivileges=yes\nReadOnly=true\n\n[Service]\nMemoryMax=64M\n",
                rootfs, dir);
        put("web.ctr", text);
        mkdir(strcat(strcpy(p, dir), "/web.ctr.d"), 0755);
        put("web.ctr.d/50-more.conf", "[Container]\nWorkingDirectory=/srv\nInit=no\n");

        Definition *d = load("web", &err);
        CHECK(d != NULL, "a full definition loads (%s)", err ? err : "ok");
        if (d) {
                json_t *c = d->config, *proc = json_object_get(c, "process");
                json_t *args = json_object_get(proc, "args");
                CHECK(json_array_size(args) == 3 && streq(json_string_value(json_array_get(args, 2)), "a b"),
                      "Exec= is split like systemd's ExecStart=");
                json_t *env = json_object_get(proc, "env");
                CHECK(has_string(env, "B=2") && has_string(env, "C=x y") && !has_string(env, "A=1"),
                      "an empty Environment= resets the list");
                CHECK(json_integer_value(json_object_get(json_object_get(proc, "user"), "uid")) == 1000 &&
                              json_integer_value(json_object_get(json_object_get(proc, "user"), "gid")) ==
                                      1001,
                      "User=app resolves in the rootfs' /etc/passwd");
                json_t *groups = json_object_get(json_object_get(proc, "user"), "additionalGids");
                CHECK(json_array_size(groups) == 2 &&
                              json_integer_value(json_array_get(groups, 0)) == 1001 &&
                              json_integer_value(json_array_get(groups, 1)) == 10,
                      "supplementary groups: the primary group plus the user's /etc/group memberships");
                CHECK(streq(jstr(c, "hostname", NULL), "box"), "Hostname=");
                CHECK(streq(jstr(proc, "cwd", NULL), "/srv"), "a drop-in sets WorkingDirectory=");
                CHECK(!d->init, "a drop-in turns Init= off");
                json_t *caps = json_object_get(json_object_get(proc, "capabilities"), "bounding");
                CHECK(has_string(caps, "CAP_NET_RAW") && !has_string(caps, "CAP_CHOWN") &&
                              has_string(caps, "CAP_KILL"),
                      "AddCapability=/DropCapability= edit the default set");
                CHECK(json_is_true(json_object_get(proc, "noNewPrivileges")), "NoNewPrivileges=yes");
                CHECK(json_is_true(json_object_get(json_object_get(c, "root"), "readonly")),
                      "ReadOnly=true");
                json_t *nss = json_object_get(json_object_get(c, "linux"), "namespaces"), *v;
                size_t i;
                bool netns = false;
                json_array_foreach (nss, i, v)
                        if (streq(json_string_value(json_object_get(v, "type")), "network") &&
                            streq_ptr(json_string_value(json_object_get(v, "path")), "/run/netns/blue"))
                                netns = true;
                CHECK(netns, "Network=netns:blue joins /run/netns/blue");
                json_t *mounts = json_object_get(c, "mounts");
                bool vol = false, tmp = false;
                json_array_foreach (mounts, i, v) {
                        if (streq(jstr(v, "destination", NULL), "/data") &&
                            streq(jstr(v, "source", NULL), dir) &&
                            has_string(json_object_get(v, "options"), "ro"))
                                vol = true;
                        if (streq(jstr(v, "destination", NULL), "/scratch") &&
                            streq(jstr(v, "type", NULL), "tmpfs"))
                                tmp = true;
                }
                CHECK(vol, "Volume=SRC:DST:ro is a read-only bind mount");
                bool rro = false;
                json_array_foreach (mounts, i, v)
                        if (streq(jstr(v, "destination", NULL), "/data") &&
                            has_string(json_object_get(v, "options"), "rro"))
                                rro = true;
                CHECK(rro, "... read-only recursively (rro), mounts below it included");
                CHECK(tmp, "Tmpfs= is a tmpfs mount");
                CHECK(!json_object_get(json_object_get(c, "linux"), "resources"),
                      "no linux.resources: limits come from [Service] through systemd");
                definition_free(d);
        }
        free(err);

        /* defaults */
        snprintf(text, sizeof(text), "[Container]\nRootDirectory=%s\nExec=true\n", rootfs);
        put("min.ctr", text);
        d = load("min", &err);
        CHECK(d && d->init, "Init= defaults to yes");
        CHECK(d && streq(jstr(d->config, "hostname", NULL), "min"),
              "the hostname defaults to the definition name");
        definition_free(d);
        free(err);

        /* errors: file, line, key */
        snprintf(text, sizeof(text), "[Container]\nRootDirectory=%s\nExec=true\nVolume=data:/x\n", rootfs);
        expect_error("relative volume", text, "/e.ctr:4: Volume=: source 'data' is not an absolute path");
        snprintf(text, sizeof(text), "[Container]\nRootDirectory=%s\nExec=true\nNetwork=carrier-pigeon\n",
                 rootfs);
        expect_error("unknown network", text,
                     "/e.ctr:4: Network=: 'carrier-pigeon' is not none, host or netns:NAME");
        snprintf(text, sizeof(text), "[Container]\nRootDirectory=%s\nExec=true\nUser=nobody-here\n", rootfs);
        expect_error("unknown user", text,
                     "/e.ctr:4: User=: no user 'nobody-here' in the rootfs' /etc/passwd");
        snprintf(text, sizeof(text), "[Container]\nRootDirectory=%s\n", rootfs);
        expect_error("no command", text, "a container needs a command");
        expect_error("no rootfs", "[Container]\nExec=true\n",
                     "a container needs Image=, RootDirectory= or Bundle=");
        snprintf(text, sizeof(text), "[Container]\nRootDirectory=%s\nExec=true\n[Service]\nType=simple\n",
                 rootfs);
        expect_error("reserved service key", text, "/e.ctr:5: Type=: set by ctr@.service itself");
        snprintf(text, sizeof(text), "[Container]\nRootDirectory=%s\nExec=\"unbalanced\n", rootfs);
        expect_error("bad quoting", text, "/e.ctr:3: Exec=:");
        snprintf(text, sizeof(text), "[Container]\nRootDirectory=%s\nExec=true\nReadOnly=maybe\n", rootfs);
        expect_error("bad bool", text, "/e.ctr:4: ReadOnly=: 'maybe' is not a boolean");
        snprintf(text, sizeof(text), "[Containr]\nRootDirectory=%s\n", rootfs);
        expect_error("unknown section", text, "/e.ctr:2: unknown section [Containr]");
        snprintf(text, sizeof(text), "[Container]\nRootDirectory=%s\nExec=true\nUIDMap=0:100000\n", rootfs);
        expect_error("bad id map", text, "/e.ctr:4: UIDMap=: '0:100000' is not CONTAINER-ID:HOST-ID:SIZE");
        snprintf(text, sizeof(text), "[Container]\nBundle=/srv/b\nExec=true\n");
        expect_error("bundle plus keys", text, "/e.ctr:3: Exec=: cannot be combined with Bundle=");
        expect_error("missing", "", "is masked");
        {
                char *e2 = NULL;
                Definition *x = load("does-not-exist", &e2);
                CHECK(!x && e2 && strstr(e2, "not found"), "a missing definition says so (%s)",
                      e2 ? e2 : "");
                free(e2);
        }

        /* a hostile /etc/passwd in the rootfs: a FIFO must not hang the lookup (CVE-2024-9676) */
        snprintf(p, sizeof(p), "%s/etc/passwd", rootfs);
        unlink(p);
        mkfifo(p, 0644);
        snprintf(text, sizeof(text), "[Container]\nRootDirectory=%s\nExec=true\nUser=app\n", rootfs);
        expect_error("FIFO /etc/passwd", text, "User=: cannot look up user 'app'");
        unlink(p);
        symlink("/etc/shadow", p);
        expect_error("symlinked /etc/passwd stays inside the rootfs", text,
                     "User=: cannot look up user 'app'");

        /* Image=: what the definition says is kept to override the image's config at start */
        put("img.ctr", "[Container]\nImage=busybox:1.36\nEnvironment=A=1\nUser=app\nGroup=wheel\n"
                       "WorkingDirectory=/srv\nReadOnly=yes\n");
        d = load("img", &err);
        CHECK(d != NULL, "an Image= definition without Exec= loads (%s)", err ? err : "ok");
        if (d) {
                CHECK(streq_ptr(d->image, "busybox:1.36"), "the image reference is kept");
                CHECK(!d->image_cmd && !d->image_entrypoint, "no Exec=/Entrypoint=: the image's are used");
                CHECK(streq_ptr(d->image_user, "app:wheel"),
                      "User= and Group= become the image user 'app:wheel'");
                CHECK(streq_ptr(d->image_cwd, "/srv"), "WorkingDirectory= overrides the image's");
                CHECK(d->image_env && streq(d->image_env[0], "A=1") && !d->image_env[1],
                      "Environment= goes over the image's Env, without the default PATH");
                CHECK(json_is_true(json_object_get(json_object_get(d->config, "root"), "readonly")),
                      "ReadOnly= is kept in the config");
                CHECK(strstr(json_string_value(json_object_get(json_object_get(d->config, "root"), "path")),
                             "not-mounted") != NULL,
                      "the rootfs path cannot be used before the image is mounted");
                d = definition_free(d);
        }
        free(err);
        err = NULL;
        put("img.ctr", "[Container]\nImage=app\nEntrypoint=\nExec=/bin/true x\n");
        d = load("img", &err);
        CHECK(d && d->image_entrypoint && !d->image_entrypoint[0] && d->image_cmd &&
                      streq(d->image_cmd[0], "/bin/true") && streq(d->image_cmd[1], "x"),
              "an empty Entrypoint= clears the image's, Exec= replaces its Cmd");
        d = definition_free(d);
        free(err);
        err = NULL;
        snprintf(text, sizeof(text), "[Container]\nImage=app\nRootDirectory=%s\n", rootfs);
        expect_error("Image= with RootDirectory=", text,
                     "/e.ctr:3: RootDirectory=: Image= and RootDirectory= exclude each other");

        char cmd[600];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        (void)!system(cmd);
        return tap_done();
}
