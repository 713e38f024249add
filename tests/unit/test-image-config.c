/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The image config applied to a runtime config: parsing and its errors, command/env/cwd rules,
 * user lookup in the image's own /etc/passwd and /etc/group (CVE-2024-9676: symlinks, FIFOs,
 * /dev/zero, huge files), and anonymous volumes (CVE-2022-23648, CVE-2024-1753: ".." keys and
 * symlinks resolved in the image, no host bytes in a volume). Unprivileged; trees in /tmp. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image-config.h"
#include "json-util.h"
#include "tap.h"
#include "util.h"

#define HOST_MARKER "HOST-SECRET-BYTES"

static char dir[] = "/tmp/ctr-test-imgcfg.XXXXXX";
static char rootfs[256];

static void put_n(const char *name, const char *data, size_t n)
{
        char p[512];
        snprintf(p, sizeof(p), "%s/%s", dir, name);
        FILE *f = fopen(p, "we");
        if (!f) {
                perror(p);
                exit(1);
        }
        fwrite(data, 1, n, f);
        fclose(f);
}

static void put(const char *name, const char *text)
{
        put_n(name, text, strlen(text));
}

static void mk(const char *name, mode_t mode)
{
        char p[512];
        snprintf(p, sizeof(p), "%s/%s", dir, name);
        mkdir(p, mode);
        chmod(p, mode);
}

static void sym(const char *target, const char *name)
{
        char p[512];
        snprintf(p, sizeof(p), "%s/%s", dir, name);
        unlink(p);
        if (symlink(target, p) < 0)
                perror(p);
}

static void rm(const char *name)
{
        rm_rf_at(AT_FDCWD, strcat(strcat(strcpy((char[512]){0}, dir), "/"), name));
}

static ImageConfig *parse(const char *json, char **err)
{
        ImageConfig *ic = NULL;
        *err = NULL;
        if (image_config_parse(json, strlen(json), &ic, err) < 0)
                return NULL;
        return ic;
}

static void expect_parse_error(const char *what, const char *json, const char *expected)
{
        char *err;
        ImageConfig *ic = parse(json, &err);
        CHECK(!ic && err && strstr(err, expected), "parse %s: error contains '%s' (got '%s')", what,
              expected, err ? err : "(none)");
        image_config_free(ic);
        free(err);
}

static const char *astr(json_t *a, size_t i)
{
        return json_string_value(json_array_get(a, i));
}

static json_t *proc_of(json_t *oci)
{
        return json_object_get(oci, "process");
}

static long long uget(json_t *oci, const char *key)
{
        return json_integer_value(json_object_get(json_object_get(proc_of(oci), "user"), key));
}

/* additionalGids as "a,b,c" */
static const char *gids_str(json_t *oci)
{
        static char buf[256];
        json_t *l = json_object_get(json_object_get(proc_of(oci), "user"), "additionalGids"), *v;
        size_t i;
        buf[0] = 0;
        json_array_foreach (l, i, v)
                snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%lld", i ? "," : "",
                         (long long)json_integer_value(v));
        return buf;
}

static int root_fd(void)
{
        return open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/* Apply ic with the user override to a fresh runtime config; NULL and *err on failure. */
static json_t *apply_user(const ImageConfig *ic, const char *user, char **err)
{
        ImageOverrides o = {.user = user};
        json_t *oci = json_pack("{s:{s:[s], s:{s:i}}}", "process", "args", "old", "user", "umask", 18);
        int fd = root_fd();
        *err = NULL;
        int r = image_config_apply(ic, &o, fd, oci, err);
        close(fd);
        if (r < 0) {
                json_decref(oci);
                return NULL;
        }
        return oci;
}

static double now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void expect_user(const ImageConfig *ic, const char *user, long long uid, long long gid,
                        const char *gids)
{
        char *err;
        json_t *oci = apply_user(ic, user, &err);
        CHECK(oci && uget(oci, "uid") == uid && uget(oci, "gid") == gid && streq(gids_str(oci), gids),
              "user '%s' is %lld:%lld groups %s (got %lld:%lld groups %s%s%s)", user, uid, gid, gids,
              oci ? uget(oci, "uid") : -1, oci ? uget(oci, "gid") : -1, oci ? gids_str(oci) : "-",
              err ? ", error: " : "", err ? err : "");
        json_decref(oci);
        free(err);
}

static void expect_user_error(const ImageConfig *ic, const char *user, const char *expected)
{
        char *err;
        double t0 = now();
        json_t *oci = apply_user(ic, user, &err);
        double dt = now() - t0;
        CHECK(!oci && err && strstr(err, expected) && dt < 5.0,
              "user '%s': error contains '%s' within 5 s (got '%s', %.2f s)", user, expected,
              err ? err : "(none)", dt);
        json_decref(oci);
        free(err);
}

/* ---- volume helpers ---- */

static char *slurp(const char *path)
{
        char *s = NULL;
        if (read_full_file(path, 1 << 20, &s, NULL) < 0)
                return NULL;
        return s;
}

/* Does any regular file below path contain the host marker? Follows nothing. */
static bool tree_has_marker(const char *path)
{
        DIR *d = opendir(path);
        struct dirent *de;
        bool found = false;
        if (!d)
                return false;
        while ((de = readdir(d))) {
                char p[1024];
                struct stat st;
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
                if (lstat(p, &st) < 0)
                        continue;
                if (S_ISDIR(st.st_mode))
                        found |= tree_has_marker(p);
                else if (S_ISREG(st.st_mode)) {
                        char *s = slurp(p);
                        if (s && strstr(s, HOST_MARKER))
                                found = true;
                        free(s);
                }
        }
        closedir(d);
        return found;
}

static size_t count_entries(const char *path)
{
        DIR *d = opendir(path);
        struct dirent *de;
        size_t n = 0;
        if (!d)
                return (size_t)-1;
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        n++;
        closedir(d);
        return n;
}

/* Copies keep read-only modes: without root, removing them needs write permission back. */
static void make_writable(const char *path)
{
        DIR *d;
        struct dirent *de;
        struct stat st;
        if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
                return;
        chmod(path, 0700);
        if (!(d = opendir(path)))
                return;
        while ((de = readdir(d))) {
                char p[1024];
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
                make_writable(p);
        }
        closedir(d);
}

/* A fresh empty volume directory vol-NAME; returns an fd (O_PATH if opath). */
static int new_volume(const char *name, bool opath, char *path_out)
{
        snprintf(path_out, 512, "%s/vol-%s", dir, name);
        make_writable(path_out);
        rm_rf_at(AT_FDCWD, path_out);
        mkdir(path_out, 0700);
        return open(path_out, (opath ? O_PATH : O_RDONLY) | O_DIRECTORY | O_CLOEXEC);
}

static int copy_up(const char *path, const char *volname, const ImageCopyLimits *lim, char *volpath,
                   char **err)
{
        int rfd = root_fd(), vfd = new_volume(volname, false, volpath);
        *err = NULL;
        int r = image_volume_copy_up(rfd, path, vfd, lim, err);
        close(rfd);
        close(vfd);
        return r;
}

static void test_parse(void)
{
        char *err;
        ImageConfig *ic = parse(
                "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{"
                "\"Entrypoint\":[\"/entry\"],\"Cmd\":[\"a\",\"b\"],\"Env\":[\"A=1\",\"PATH=/img\",\"B=2\"],"
                "\"ExposedPorts\":{\"80/tcp\":{},\"53/UDP\":{},\"8080\":{},\"80\":{}},"
                "\"Volumes\":{\"/data/\":{},\"/data\":{},\"//var//log/.\":{},\"/cache\":null},"
                "\"WorkingDir\":\"/srv/./app/\",\"Labels\":{\"a\":\"b\"},\"StopSignal\":\"SIGQUIT\","
                "\"ArgsEscaped\":true,\"Healthcheck\":{\"Test\":[\"NONE\"]},\"OnBuild\":null},"
                "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:"
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"]},"
                "\"history\":[{\"created_by\":\"x\"}]}",
                &err);
        CHECK(ic, "a full image config parses (%s)", err ? err : "ok");
        free(err);
        if (!ic)
                return;
        char **ports = image_config_exposed_ports(ic);
        CHECK(strv_length(ports) == 3 && streq(ports[0], "53/udp") && streq(ports[1], "80/tcp") &&
                      streq(ports[2], "8080/tcp"),
              "ExposedPorts: normalized to PORT/proto, sorted, unique");
        char **vols = NULL;
        CHECK(image_config_volumes(ic, &vols, NULL) == 0 && strv_length(vols) == 3 &&
                      streq(vols[0], "/cache") && streq(vols[1], "/data") && streq(vols[2], "/var/log"),
              "Volumes: cleaned, sorted, unique");
        strv_free(vols);
        CHECK(image_config_stop_signal(ic) == SIGQUIT, "StopSignal SIGQUIT");
        CHECK(streq_ptr(json_string_value(json_object_get(image_config_labels(ic), "a")), "b"), "Labels");
        CHECK(streq_ptr(image_config_architecture(ic), "amd64") && streq_ptr(image_config_os(ic), "linux"),
              "architecture and os");
        CHECK(strv_length(image_config_diff_ids(ic)) == 1, "rootfs.diff_ids");
        CHECK(json_is_object(image_config_json(ic)), "the raw document");
        image_config_free(ic);

        ic = parse("{}", &err);
        CHECK(ic && strv_length(image_config_exposed_ports(ic)) == 0 && image_config_stop_signal(ic) == 0 &&
                      !image_config_labels(ic) && !image_config_os(ic),
              "an empty object is a (commandless) config");
        image_config_free(ic);
        free(err);
        ic = parse("{\"config\":null,\"rootfs\":null}", &err);
        CHECK(ic, "null config and rootfs mean absent");
        image_config_free(ic);
        free(err);
        ic = parse(
                "{\"config\":{\"Env\":null,\"Volumes\":null,\"Cmd\":null,\"User\":\"\",\"WorkingDir\":\"\","
                "\"StopSignal\":\"\",\"ExposedPorts\":null,\"Labels\":null}}",
                &err);
        CHECK(ic, "null and empty fields mean absent (%s)", err ? err : "ok");
        image_config_free(ic);
        free(err);

        expect_parse_error("not JSON", "{\"config\":", "image config is not valid JSON");
        expect_parse_error("an array", "[1]", "(root): expected an object, got an array");
        expect_parse_error("trailing garbage", "{} x", "not valid JSON");
        expect_parse_error("duplicate keys", "{\"config\":{\"User\":\"a\",\"User\":\"root\"}}", "duplicate");
        expect_parse_error("NUL in a string", "{\"config\":{\"User\":\"a\\u0000b\"}}", "not valid JSON");
        expect_parse_error("config a string", "{\"config\":\"x\"}",
                           "config: expected an object, got a string");
        expect_parse_error("Env a string", "{\"config\":{\"Env\":\"A=1\"}}",
                           "config.Env: expected an array");
        expect_parse_error("Env[2] a number", "{\"config\":{\"Env\":[\"A=1\",\"B=2\",3]}}",
                           "config.Env[2]: expected a string");
        expect_parse_error("Env without =", "{\"config\":{\"Env\":[\"A=1\",\"FOO\"]}}",
                           "config.Env[1]: 'FOO' is not KEY=VALUE");
        expect_parse_error("Env =x", "{\"config\":{\"Env\":[\"=x\"]}}",
                           "config.Env[0]: '=x' is not KEY=VALUE");
        expect_parse_error("Cmd an object", "{\"config\":{\"Cmd\":{}}}", "config.Cmd: expected an array");
        expect_parse_error("Entrypoint[1] a number", "{\"config\":{\"Entrypoint\":[\"a\",1]}}",
                           "config.Entrypoint[1]: expected a string");
        expect_parse_error("User a number", "{\"config\":{\"User\":5}}", "config.User: expected a string");
        expect_parse_error("User a:b:c", "{\"config\":{\"User\":\"a:b:c\"}}",
                           "config.User: 'a:b:c' is not USER");
        expect_parse_error("User uid -1", "{\"config\":{\"User\":\"4294967295\"}}", "uid out of range");
        expect_parse_error("User gid too big", "{\"config\":{\"User\":\"1:99999999999\"}}",
                           "gid out of range");
        expect_parse_error("User newline", "{\"config\":{\"User\":\"a\\nb\"}}", "control character");
        expect_parse_error("relative WorkingDir", "{\"config\":{\"WorkingDir\":\"srv\"}}",
                           "config.WorkingDir: 'srv' is not an absolute path");
        expect_parse_error("Volumes an array", "{\"config\":{\"Volumes\":[\"/x\"]}}",
                           "config.Volumes: expected an object");
        expect_parse_error("Volumes value a string", "{\"config\":{\"Volumes\":{\"/x\":\"y\"}}}",
                           "config.Volumes./x: expected an object");
        expect_parse_error("Volumes '..' (row 16)", "{\"config\":{\"Volumes\":{\"/../../../../etc/x\":{}}}}",
                           "config.Volumes: '/../../../../etc/x' has a '..' component");
        expect_parse_error("Volumes inner '..'", "{\"config\":{\"Volumes\":{\"/data/../../etc\":{}}}}",
                           "has a '..' component");
        expect_parse_error("Volumes relative", "{\"config\":{\"Volumes\":{\"data\":{}}}}",
                           "'data' is not an absolute path");
        expect_parse_error("Volumes root", "{\"config\":{\"Volumes\":{\"//.\":{}}}}",
                           "is the root directory");
        expect_parse_error("Volumes /proc", "{\"config\":{\"Volumes\":{\"/proc/self/attr\":{}}}}",
                           "at or below /proc or /sys");
        expect_parse_error("Volumes /sys", "{\"config\":{\"Volumes\":{\"/sys\":{}}}}", "at or below /proc");
        expect_parse_error("Volumes control char", "{\"config\":{\"Volumes\":{\"/a\\nb\":{}}}}",
                           "control character");
        expect_parse_error("port name", "{\"config\":{\"ExposedPorts\":{\"http\":{}}}}",
                           "config.ExposedPorts: 'http' is not PORT[/tcp|udp|sctp]");
        expect_parse_error("port proto", "{\"config\":{\"ExposedPorts\":{\"80/icmp\":{}}}}", "'80/icmp'");
        expect_parse_error("port 0", "{\"config\":{\"ExposedPorts\":{\"0/tcp\":{}}}}", "'0/tcp'");
        expect_parse_error("port 65536", "{\"config\":{\"ExposedPorts\":{\"65536\":{}}}}", "'65536'");
        expect_parse_error("port value", "{\"config\":{\"ExposedPorts\":{\"80/tcp\":1}}}",
                           "config.ExposedPorts.80/tcp: expected an object");
        expect_parse_error("Labels value", "{\"config\":{\"Labels\":{\"a\":1}}}",
                           "config.Labels.a: expected a string");
        expect_parse_error("StopSignal name", "{\"config\":{\"StopSignal\":\"SIGNOPE\"}}",
                           "config.StopSignal: 'SIGNOPE' is not a signal");
        expect_parse_error("StopSignal number", "{\"config\":{\"StopSignal\":9}}",
                           "config.StopSignal: expected a string");
        expect_parse_error("rootfs.type", "{\"rootfs\":{\"type\":\"zip\"}}", "rootfs.type: 'zip' is not");
        expect_parse_error("diff_ids", "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:../x\"]}}",
                           "rootfs.diff_ids[0]: 'sha256:../x' is not a sha256 digest");
        expect_parse_error("architecture", "{\"architecture\":1}", "architecture: expected a string");

        {
                size_t n = IMAGE_CONFIG_MAX_SIZE + 1;
                char *big = malloc(n);
                memset(big, ' ', n);
                big[0] = '{';
                big[n - 1] = '}';
                err = NULL;
                ImageConfig *x = NULL;
                int r = image_config_parse(big, n, &x, &err);
                CHECK(r == -EFBIG && !x && err && strstr(err, "bigger than"),
                      "a config blob over the size limit is refused unread (%s)", err ? err : "");
                free(err);
                free(big);
        }
}

static void test_apply(void)
{
        char *err;
        ImageConfig *ic =
                parse("{\"config\":{\"Entrypoint\":[\"/entry\"],\"Cmd\":[\"a\",\"b\"],"
                      "\"Env\":[\"A=1\",\"PATH=/img\",\"B=2\",\"A=3\"],\"WorkingDir\":\"/srv/./app/\","
                      "\"User\":\"app\"}}",
                      &err);
        CHECK(ic, "image config for apply parses");
        free(err);
        if (!ic)
                return;

        json_t *oci = json_pack("{s:s, s:{s:b, s:[s], s:[s], s:{s:i, s:i, s:i}}}", "ociVersion", "1.3.0",
                                "process", "terminal", 0, "args", "old", "env", "TERM=xterm", "user", "uid",
                                5, "gid", 5, "umask", 18);
        int fd = root_fd();
        err = NULL;
        int r = image_config_apply(ic, NULL, fd, oci, &err);
        CHECK(r == 0, "apply without overrides (%s)", err ? err : "ok");
        free(err);
        json_t *p = proc_of(oci), *args = json_object_get(p, "args"), *env = json_object_get(p, "env");
        CHECK(json_array_size(args) == 3 && streq(astr(args, 0), "/entry") && streq(astr(args, 1), "a") &&
                      streq(astr(args, 2), "b"),
              "args: Entrypoint then Cmd");
        CHECK(json_array_size(env) == 3 && streq(astr(env, 0), "A=3") && streq(astr(env, 1), "PATH=/img") &&
                      streq(astr(env, 2), "B=2"),
              "env: the image's, a repeated key replaced where it first stood, PATH kept");
        CHECK(streq(json_string_value(json_object_get(p, "cwd")), "/srv/app"), "cwd: WorkingDir cleaned");
        CHECK(uget(oci, "uid") == 1000 && uget(oci, "gid") == 1001 && streq(gids_str(oci), "1001,10,20"),
              "user app: uid, passwd gid, primary gid plus /etc/group memberships (%s)", gids_str(oci));
        CHECK(uget(oci, "umask") == 18, "the runtime config's umask is kept");
        CHECK(json_is_false(json_object_get(p, "terminal")), "other process fields are kept");

        /* overrides */
        char *cmd_x[] = {"x", NULL}, *empty[] = {NULL}, *sh[] = {"/bin/sh", NULL}, *ls[] = {"ls", NULL};
        char *envo[] = {"B=9", "C=4", NULL}, *bad_env[] = {"NOEQ", NULL};
        ImageOverrides o = {.cmd = cmd_x, .env = envo, .cwd = "/x/../y/"};
        err = NULL;
        r = image_config_apply(ic, &o, fd, oci, &err);
        args = json_object_get(proc_of(oci), "args");
        env = json_object_get(proc_of(oci), "env");
        CHECK(r == 0 && json_array_size(args) == 2 && streq(astr(args, 0), "/entry") &&
                      streq(astr(args, 1), "x"),
              "a cmd override keeps the image's Entrypoint");
        CHECK(json_array_size(env) == 4 && streq(astr(env, 0), "A=3") && streq(astr(env, 2), "B=9") &&
                      streq(astr(env, 3), "C=4"),
              "env overrides replace the same key in place and append new ones");
        CHECK(streq(json_string_value(json_object_get(proc_of(oci), "cwd")), "/y"),
              "a cwd override, cleaned");
        free(err);

        o = (ImageOverrides){.entrypoint = sh};
        err = NULL;
        r = image_config_apply(ic, &o, fd, oci, &err);
        args = json_object_get(proc_of(oci), "args");
        CHECK(r == 0 && json_array_size(args) == 1 && streq(astr(args, 0), "/bin/sh"),
              "an entrypoint override drops the image's Cmd too");
        free(err);

        o = (ImageOverrides){.entrypoint = empty, .cmd = ls};
        err = NULL;
        r = image_config_apply(ic, &o, fd, oci, &err);
        args = json_object_get(proc_of(oci), "args");
        CHECK(r == 0 && json_array_size(args) == 1 && streq(astr(args, 0), "ls"),
              "an empty entrypoint override plus a cmd: the cmd alone");
        free(err);

        char *before = json_dumps(oci, JSON_SORT_KEYS);
        o = (ImageOverrides){.entrypoint = empty};
        err = NULL;
        r = image_config_apply(ic, &o, fd, oci, &err);
        CHECK(r < 0 && err && strstr(err, "image has no Entrypoint or Cmd and none was given"),
              "an empty entrypoint and no cmd: no command (%s)", err ? err : "");
        free(err);
        o = (ImageOverrides){.env = bad_env};
        err = NULL;
        r = image_config_apply(ic, &o, fd, oci, &err);
        CHECK(r < 0 && err && strstr(err, "environment variable 'NOEQ' is not KEY=VALUE"),
              "an env override without '=' (%s)", err ? err : "");
        free(err);
        o = (ImageOverrides){.cwd = "rel"};
        err = NULL;
        r = image_config_apply(ic, &o, fd, oci, &err);
        CHECK(r < 0 && err && strstr(err, "working directory 'rel' is not an absolute path"),
              "a relative cwd override (%s)", err ? err : "");
        free(err);
        o = (ImageOverrides){.user = "nobody-here"};
        err = NULL;
        r = image_config_apply(ic, &o, fd, oci, &err);
        CHECK(r < 0, "an unknown user fails");
        free(err);
        char *after = json_dumps(oci, JSON_SORT_KEYS);
        CHECK(streq(before, after), "a failed apply leaves the runtime config untouched");
        free(before);
        free(after);
        json_decref(oci);
        image_config_free(ic);

        /* defaults: PATH, cwd, root */
        ic = parse("{\"config\":{\"Cmd\":[\"sh\"],\"Env\":[\"X=1\"]}}", &err);
        free(err);
        oci = json_object();
        err = NULL;
        r = image_config_apply(ic, NULL, fd, oci, &err);
        p = proc_of(oci);
        env = json_object_get(p, "env");
        CHECK(r == 0 && json_array_size(env) == 2 &&
                      streq(astr(env, 0),
                            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") &&
                      streq(astr(env, 1), "X=1"),
              "docker's default PATH when neither the image nor the overrides set one");
        CHECK(streq_ptr(json_string_value(json_object_get(p, "cwd")), "/"), "cwd defaults to /");
        CHECK(uget(oci, "uid") == 0 && uget(oci, "gid") == 0 && streq(gids_str(oci), "0,4"),
              "no User: root, with root's /etc/group memberships (%s)", gids_str(oci));
        CHECK(json_array_size(json_object_get(p, "args")) == 1, "a process object is created when missing");
        free(err);
        char *path_env[] = {"PATH=/mine", NULL};
        o = (ImageOverrides){.env = path_env};
        err = NULL;
        r = image_config_apply(ic, &o, fd, oci, &err);
        env = json_object_get(proc_of(oci), "env");
        CHECK(r == 0 && json_array_size(env) == 2 && streq(astr(env, 1), "PATH=/mine"),
              "a PATH override: no default added");
        free(err);
        json_decref(oci);
        image_config_free(ic);

        ic = parse("{\"config\":{\"Cmd\":\"echo hi\"}}", &err);
        oci = json_object();
        CHECK(ic && image_config_apply(ic, NULL, fd, oci, NULL) == 0 &&
                      json_array_size(json_object_get(proc_of(oci), "args")) == 1,
              "Cmd as one string (docker's strslice) is one argument");
        free(err);
        json_decref(oci);
        image_config_free(ic);

        ic = parse("{\"config\":{\"Env\":[\"A=1\"]}}", &err);
        oci = json_object();
        err = NULL;
        r = image_config_apply(ic, NULL, fd, oci, &err);
        CHECK(r < 0 && err && streq(err, "image has no Entrypoint or Cmd and none was given"),
              "no command anywhere: '%s'", err ? err : "");
        free(err);
        json_t *arr = json_array();
        CHECK(image_config_apply(ic, NULL, fd, arr, NULL) < 0, "a runtime config that is not an object");
        json_decref(arr);
        json_decref(oci);
        image_config_free(ic);
        close(fd);
}

static void test_users(void)
{
        char *err;
        ImageConfig *ic = parse("{\"config\":{\"Cmd\":[\"sh\"]}}", &err);
        free(err);

        expect_user(ic, "app", 1000, 1001, "1001,10,20");
        expect_user(ic, "1000", 1000, 1001, "1001,10,20");
        expect_user(ic, "4242", 4242, 0, "0");
        expect_user(ic, "app:wheel", 1000, 10, "10");
        expect_user(ic, "app:77", 1000, 77, "77");
        expect_user(ic, "1000:audio", 1000, 29, "29");
        expect_user(ic, "4242:4343", 4242, 4343, "4343");
        expect_user(ic, "app:", 1000, 1001, "1001,10,20");
        expect_user(ic, ":wheel", 0, 10, "10");
        expect_user(ic, "", 0, 0, "0,4");
        expect_user(ic, "0", 0, 0, "0,4");
        expect_user(ic, "late", 3000, 3000, "3000");
        expect_user(ic, "crlf", 3001, 3001, "3001");
        expect_user_error(ic, "nobody-here", "user 'nobody-here' not found in the image's /etc/passwd");
        expect_user_error(ic, "app:nogroup", "group 'nogroup' not found in the image's /etc/group");
        expect_user_error(ic, "bad", "the image's /etc/passwd entry of user 'bad' is malformed");
        expect_user_error(ic, "app:badgroup",
                          "the image's /etc/group entry of group 'badgroup' is malformed");
        expect_user_error(ic, "4294967295", "uid out of range");
        expect_user_error(ic, "1:2:3", "is not USER[:GROUP]");
        expect_user_error(ic, "nul", "user 'nul' not found");

        /* Row 12 (CVE-2024-9676): hostile /etc/passwd and /etc/group. Watchdog: a hang kills the
         * test. */
        struct rusage ru0, ru1;
        getrusage(RUSAGE_SELF, &ru0);
        alarm(60);
        char hostdir[256], p[512];
        snprintf(hostdir, sizeof(hostdir), "%s/hostetc", dir);
        mk("hostetc", 0755);
        put("hostetc/passwd", "root:x:0:0::/root:/bin/sh\napp:x:4242:4242::/:/bin/sh\n");
        put("hostetc/group", "root:x:0:\nevil:x:4343:app\n");

        rename(strcat(strcpy(p, rootfs), "/etc/passwd"),
               strcat(strcpy((char[512]){0}, dir), "/passwd.good"));
        sym("/dev/zero", "root/etc/passwd");
        expect_user_error(ic, "app", "/etc/passwd is a symlink");
        expect_user_error(ic, "1000", "/etc/passwd is a symlink");
        snprintf(p, sizeof(p), "%s/passwd", hostdir);
        sym(p, "root/etc/passwd");
        expect_user_error(ic, "app", "/etc/passwd is a symlink");
        sym("../../hostetc/passwd", "root/etc/passwd");
        expect_user_error(ic, "app", "/etc/passwd is a symlink");
        rm("root/etc/passwd");
        mkfifo(strcat(strcpy(p, rootfs), "/etc/passwd"), 0644);
        expect_user_error(ic, "app", "/etc/passwd is not a regular file");
        rm("root/etc/passwd");
        mk("root/etc/passwd", 0755);
        expect_user_error(ic, "app", "/etc/passwd is not a regular file");
        rm("root/etc/passwd");
        {
                /* 2 MiB: refused by its size, not read */
                size_t n = 2 << 20;
                char *big = malloc(n + 1);
                memset(big, '#', n);
                big[n] = 0;
                memcpy(big, "app:x:1000:1001::/:/bin/sh\n", 27);
                put("root/etc/passwd", big);
                free(big);
                expect_user_error(ic, "app", "/etc/passwd is bigger than 1048576 bytes");
                rm("root/etc/passwd");
        }
        {
                /* exactly the limit is fine */
                size_t n = IMAGE_USER_DB_MAX;
                const char *line = "\napp:x:1000:1001::/:/bin/sh\n";
                char *big = malloc(n + 1);
                memset(big, '#', n);
                memcpy(big + n - strlen(line), line, strlen(line));
                big[n] = 0;
                put("root/etc/passwd", big);
                free(big);
                expect_user(ic, "app", 1000, 1001, "1001,10,20");
                rm("root/etc/passwd");
        }
        rename(strcat(strcpy((char[512]){0}, dir), "/passwd.good"),
               strcat(strcpy(p, rootfs), "/etc/passwd"));

        /* /etc itself a symlink out of the rootfs: resolved inside it, so the host's copy (uid
         * 4242) is never read */
        rename(strcat(strcpy(p, rootfs), "/etc"), strcat(strcpy((char[512]){0}, rootfs), "/real-etc"));
        sym(hostdir, "root/etc");
        expect_user_error(ic, "app", "user 'app' not found: the image has no /etc/passwd");
        expect_user(ic, "1000", 1000, 0, "0");
        sym("../hostetc", "root/etc");
        expect_user_error(ic, "app", "user 'app' not found: the image has no /etc/passwd");
        sym("../../../../../../../../../..", "root/etc");
        expect_user_error(ic, "app", "not found");
        /* ... and an absolute symlink within the image goes to the image's own target */
        sym("/real-etc", "root/etc");
        expect_user(ic, "app", 1000, 1001, "1001,10,20");
        rm("root/etc");
        rename(strcat(strcpy(p, rootfs), "/real-etc"), strcat(strcpy((char[512]){0}, rootfs), "/etc"));

        /* a FIFO /etc/group: opened without blocking, refused */
        rename(strcat(strcpy(p, rootfs), "/etc/group"), strcat(strcpy((char[512]){0}, dir), "/group.good"));
        mkfifo(strcat(strcpy(p, rootfs), "/etc/group"), 0644);
        expect_user_error(ic, "app", "/etc/group is not a regular file");
        expect_user_error(ic, "app:wheel", "/etc/group is not a regular file");
        expect_user(ic, "app:77", 1000, 77, "77"); /* no group lookup needed */
        rm("root/etc/group");
        sym("/dev/zero", "root/etc/group");
        expect_user_error(ic, "app", "/etc/group is a symlink");
        rm("root/etc/group");
        expect_user(ic, "app", 1000, 1001, "1001"); /* no /etc/group: no memberships */
        expect_user_error(ic, "app:wheel", "group 'wheel' not found: the image has no /etc/group");
        rename(strcat(strcpy((char[512]){0}, dir), "/group.good"), strcat(strcpy(p, rootfs), "/etc/group"));
        alarm(0);
        getrusage(RUSAGE_SELF, &ru1);
        CHECK(ru1.ru_maxrss - ru0.ru_maxrss < 16 * 1024,
              "hostile user databases: peak RSS grew by %ld KiB (< 16 MiB)", ru1.ru_maxrss - ru0.ru_maxrss);

        /* no /etc/passwd at all */
        rename(strcat(strcpy(p, rootfs), "/etc/passwd"),
               strcat(strcpy((char[512]){0}, dir), "/passwd.good"));
        expect_user(ic, "", 0, 0, "0");
        expect_user(ic, "123", 123, 0, "0");
        expect_user_error(ic, "app", "user 'app' not found: the image has no /etc/passwd");
        rename(strcat(strcpy((char[512]){0}, dir), "/passwd.good"),
               strcat(strcpy(p, rootfs), "/etc/passwd"));
        image_config_free(ic);
}

static void test_volumes(void)
{
        char *err, vp[512], p[1024];
        int r;

        /* the image: /etc with a marker, /vol -> /etc, /data with a varied tree */
        put("root/etc/image-marker", "image bytes\n");
        sym("/etc", "root/vol");
        mk("hostside", 0755);
        put("hostside/secret", HOST_MARKER "\n");
        snprintf(p, sizeof(p), "%s/hostside", dir);
        sym(p, "root/vol-abs-host");
        sym("../hostside", "root/vol-rel-host");
        sym("../../../../../../../../..", "root/vol-dotdot");
        /* /vol -> /etc: the image's /etc, not the host's */
        r = copy_up("/vol", "etc", NULL, vp, &err);
        snprintf(p, sizeof(p), "%s/image-marker", vp);
        char *s = slurp(p);
        CHECK(r == 0 && s && streq(s, "image bytes\n"), "/vol -> /etc copies up the image's /etc (%s)",
              err ? err : "ok");
        free(s);
        snprintf(p, sizeof(p), "%s/etc", rootfs);
        CHECK(count_entries(vp) == count_entries(p), "... exactly the image's /etc entries (%zu)",
              count_entries(vp));
        snprintf(p, sizeof(p), "%s/shadow", vp);
        CHECK(access(p, F_OK) < 0, "... nothing of the host's /etc");
        free(err);

        /* symlinks to the host side: resolved in the image, where they lead nowhere */
        const char *escapes[] = {"/vol-abs-host", "/vol-rel-host", "/vol-dotdot"};
        for (size_t i = 0; i < ELEMENTSOF(escapes); i++) {
                r = copy_up(escapes[i], "esc", NULL, vp, &err);
                CHECK(r == 0 && !tree_has_marker(vp) && count_entries(vp) != (size_t)-1,
                      "volume %s: no host bytes in the volume (%s, %zu entries)", escapes[i],
                      err ? err : "ok", count_entries(vp));
                free(err);
        }
        r = copy_up("/vol-dotdot", "esc", NULL, vp, &err);
        snprintf(p, sizeof(p), "%s/etc/image-marker", vp);
        CHECK(r == 0 && access(p, F_OK) == 0, "a symlink climbing above / stops at the image's root");
        free(err);

        mk("root/data", 0750);
        mk("root/data/sub", 0755);
        mk("root/data/sub/deeper", 0700);
        put("root/data/sub/deeper/f", "deep\n");
        put("root/data/file", "data file\n");
        /* owner before mode: chown clears the setuid bit */
        if (geteuid() == 0)
                chown(strcat(strcpy(p, rootfs), "/data/file"), 1234, 5678);
        chmod(strcat(strcpy(p, rootfs), "/data/file"), 04640);
        snprintf(p, sizeof(p), "%s/secret", dir);
        sym(p, "root/data/abs-link");
        sym("../../hostside/secret", "root/data/rel-link");
        sym("/etc", "root/data/etc-link");
        mkfifo(strcat(strcpy(p, rootfs), "/data/fifo"), 0620);
        chmod(p, 0620);
        mk("root/data/ro", 0755);
        put("root/data/ro/inside", "x\n");
        chmod(strcat(strcpy(p, rootfs), "/data/ro"), 0555);
        struct timespec ts[2] = {{.tv_sec = 1000000000}, {.tv_sec = 1200000000}};
        utimensat(AT_FDCWD, strcat(strcpy(p, rootfs), "/data/file"), ts, 0);
        bool root = geteuid() == 0;
        put("root/plainfile", "not a dir\n");

        /* the tree: modes, owners, times, symlinks as symlinks, FIFO */
        r = copy_up("/data", "data", NULL, vp, &err);
        CHECK(r == 0, "copy-up of /data (%s)", err ? err : "ok");
        free(err);
        struct stat st;
        CHECK(stat(vp, &st) == 0 && (st.st_mode & 07777) == 0750,
              "the volume takes the image dir's mode (%o)", st.st_mode & 07777);
        snprintf(p, sizeof(p), "%s/file", vp);
        s = slurp(p);
        CHECK(s && streq(s, "data file\n") && stat(p, &st) == 0 && (st.st_mode & 07777) == 04640 &&
                      st.st_mtim.tv_sec == 1200000000,
              "a file: bytes, mode (setuid kept) and mtime (%o)", st.st_mode & 07777);
        free(s);
        if (root)
                CHECK(st.st_uid == 1234 && st.st_gid == 5678, "a file: owner kept (%u:%u)", st.st_uid,
                      st.st_gid);
        snprintf(p, sizeof(p), "%s/sub/deeper/f", vp);
        s = slurp(p);
        CHECK(s && streq(s, "deep\n"), "nested directories");
        free(s);
        snprintf(p, sizeof(p), "%s/sub/deeper", vp);
        CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == 0700, "a nested dir's mode");
        char target[512];
        ssize_t k;
        snprintf(p, sizeof(p), "%s/abs-link", vp);
        k = readlink(p, target, sizeof(target) - 1);
        target[k < 0 ? 0 : k] = 0;
        char want[512];
        snprintf(want, sizeof(want), "%s/secret", dir);
        CHECK(lstat(p, &st) == 0 && S_ISLNK(st.st_mode) && streq(target, want),
              "an absolute symlink is copied as a symlink, not followed");
        snprintf(p, sizeof(p), "%s/rel-link", vp);
        CHECK(lstat(p, &st) == 0 && S_ISLNK(st.st_mode), "a relative symlink is copied as a symlink");
        snprintf(p, sizeof(p), "%s/etc-link", vp);
        CHECK(lstat(p, &st) == 0 && S_ISLNK(st.st_mode),
              "a symlink to /etc is not followed below the volume root");
        CHECK(!tree_has_marker(vp), "no host bytes in the /data volume");
        snprintf(p, sizeof(p), "%s/fifo", vp);
        CHECK(lstat(p, &st) == 0 && S_ISFIFO(st.st_mode) && (st.st_mode & 07777) == 0620,
              "a FIFO stays a FIFO");
        snprintf(p, sizeof(p), "%s/ro", vp);
        CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == 0555 && count_entries(p) == 1,
              "a read-only directory keeps its mode and its children");
        snprintf(p, sizeof(p), "%s/ro", vp);
        chmod(p, 0755);

        /* an O_PATH volume fd */
        {
                int rfd = root_fd(), vfd = new_volume("opath", true, vp);
                err = NULL;
                r = image_volume_copy_up(rfd, "/data/sub", vfd, NULL, &err);
                snprintf(p, sizeof(p), "%s/deeper/f", vp);
                CHECK(r == 0 && access(p, F_OK) == 0, "an O_PATH volume fd works (%s)", err ? err : "ok");
                free(err);
                close(rfd);
                close(vfd);
        }

        /* nothing there, something else there, bad paths */
        r = copy_up("/does/not/exist", "none", NULL, vp, &err);
        CHECK(r == 0 && count_entries(vp) == 0, "nothing in the image at the path: an empty volume");
        free(err);
        r = copy_up("/plainfile", "file", NULL, vp, &err);
        CHECK(r < 0 && err && strstr(err, "something other than a directory"), "a file at the path: %s",
              err ? err : "");
        free(err);
        r = copy_up("/../../../../etc", "dotdot", NULL, vp, &err);
        CHECK(r < 0 && err && strstr(err, "is not a clean absolute path") && count_entries(vp) == 0,
              "copy-up refuses a '..' path itself (%s)", err ? err : "");
        free(err);
        r = copy_up("relative", "rel", NULL, vp, &err);
        CHECK(r < 0, "copy-up refuses a relative path");
        free(err);
        r = copy_up("/", "slash", NULL, vp, &err);
        CHECK(r < 0, "copy-up refuses /");
        free(err);

        /* limits */
        ImageCopyLimits lim = {.max_bytes = 12};
        r = copy_up("/data", "lim", &lim, vp, &err);
        CHECK(r == -EFBIG && err && strstr(err, "exceeds 12 bytes"), "the byte limit (%s)", err ? err : "");
        free(err);
        lim = (ImageCopyLimits){.max_entries = 3};
        r = copy_up("/data", "lim", &lim, vp, &err);
        CHECK(r == -EFBIG && err && strstr(err, "more than 3 entries"), "the entry limit (%s)",
              err ? err : "");
        free(err);
        {
                char d[4096] = "root/deep";
                mk(d, 0755);
                for (int i = 0; i < IMAGE_VOLUME_MAX_DEPTH + 2; i++) {
                        strcat(d, "/d");
                        mk(d, 0755);
                }
                r = copy_up("/deep", "deep", NULL, vp, &err);
                CHECK(r == -ELOOP && err && strstr(err, "nested deeper than"), "the depth limit (%s)",
                      err ? err : "");
                free(err);
        }
        snprintf(p, sizeof(p), "%s/data/ro", rootfs);
        chmod(p, 0755);
}

int main(void)
{
        if (!mkdtemp(dir))
                return 1;
        snprintf(rootfs, sizeof(rootfs), "%s/root", dir);
        mk("root", 0755);
        mk("root/etc", 0755);
        static const char passwd[] = "# comment\n"
                                     "root:x:0:0::/root:/bin/sh\n"
                                     "garbage line without colons\n"
                                     "short:x:7\n"
                                     "app:x:1000:1001::/home/app:/bin/sh\n"
                                     "bad:x:notanumber:1::/:/bin/sh\n"
                                     "crlf:x:3001:3001::/:/bin/sh\r\n"
                                     "nul\0:x:5:5::/:/bin/sh\n"
                                     "app:x:2000:2000:shadowed by the first:/:/bin/sh\n"
                                     "late:x:3000:3000::/:/bin/sh";
        put_n("root/etc/passwd", passwd, sizeof(passwd) - 1);
        put("root/etc/group", "root:x:0:\n"
                              "adm:x:4:root\n"
                              "wheel:x:10:app,other\n"
                              "audio:x:29:other\n"
                              "users:x:20:someone,app\n"
                              "apps:x:1001:\n"
                              "dup:x:10:app\n"
                              "badgroup:x:zz:app\n"
                              "prefix:x:50:application,ap\n");

        test_parse();
        test_apply();
        test_users();
        test_volumes();

        make_writable(dir);
        rm_rf_at(AT_FDCWD, dir);
        return tap_done();
}
