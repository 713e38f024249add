/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target for the image config parser: the blob comes from whoever built the image, so
 * every byte sequence must end in a config or an error, never in a crash, hang or leak. A config
 * that parses is also applied to a runtime config (user lookup in a small fixed rootfs), and what
 * comes out is checked against the rules the parser promises: volumes clean and absolute, ports
 * normalized, a non-empty command, KEY=VALUE env with one PATH, an absolute cwd. */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image-config.h"
#include "json-util.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root_dir[] = "/tmp/fuzz-image-json.XXXXXX";

static void remove_root(void)
{
        rm_rf_at(AT_FDCWD, root_dir);
}

/* A rootfs with an /etc/passwd and /etc/group, made once, so that names resolve. */
static int rootfs_fd(void)
{
        static int fd = -1;
        char p[256];
        if (fd >= 0)
                return fd;
        if (!mkdtemp(root_dir))
                abort();
        atexit(remove_root);
        snprintf(p, sizeof(p), "%s/etc", root_dir);
        if (mkdir(p, 0755) < 0)
                abort();
        _cleanup_close_ int etc = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
        static const char passwd[] = "root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/:/bin/sh\n",
                          group[] = "root:x:0:\nwheel:x:10:app,root\napp:x:1000:\n";
        if (etc < 0 || write_file_new(etc, "passwd", passwd, strlen(passwd), 0644) < 0 ||
            write_file_new(etc, "group", group, strlen(group), 0644) < 0)
                abort();
        fd = open(root_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                abort();
        return fd;
}

static void check_volumes(const ImageConfig *ic)
{
        char **vols = NULL;
        if (image_config_volumes(ic, &vols, NULL) < 0)
                return; /* ENOMEM */
        for (size_t i = 0; vols[i]; i++) {
                _cleanup_free_ char *clean = path_clean(vols[i]);
                if (!path_is_safe_absolute(vols[i]) || !clean || !streq(clean, vols[i]) ||
                    streq(vols[i], "/"))
                        abort();
                if (streq(vols[i], "/proc") || startswith(vols[i], "/proc/") || streq(vols[i], "/sys") ||
                    startswith(vols[i], "/sys/"))
                        abort();
                if (i > 0 && strcmp(vols[i - 1], vols[i]) >= 0)
                        abort();
        }
        strv_free(vols);
}

static void check_accessors(const ImageConfig *ic)
{
        char **ports = image_config_exposed_ports(ic);
        if (!ports || !image_config_diff_ids(ic) || !json_is_object(image_config_json(ic)))
                abort();
        for (size_t i = 0; ports[i]; i++) {
                unsigned port;
                char proto[8];
                int n = 0;
                if (sscanf(ports[i], "%5u/%7[a-z]%n", &port, proto, &n) != 2 || ports[i][n] || port == 0 ||
                    port > 65535 || (!streq(proto, "tcp") && !streq(proto, "udp") && !streq(proto, "sctp")))
                        abort();
                if (i > 0 && strcmp(ports[i - 1], ports[i]) >= 0)
                        abort();
        }
        STRV_FOREACH (d, image_config_diff_ids(ic))
                if (!startswith(*d, "sha256:") || strlen(*d) != 71)
                        abort();
        int sig = image_config_stop_signal(ic);
        if (sig < 0 || sig > SIGRTMAX)
                abort();
        /* free-form strings: that they can be read (under ASan) is all there is to check */
        if (strlen(strempty(image_config_architecture(ic))) + strlen(strempty(image_config_os(ic))) >
            (1U << 30))
                abort();
        json_t *labels = image_config_labels(ic);
        if (labels && !json_is_object(labels))
                abort();
}

static void check_process(json_t *p)
{
        json_t *args = json_object_get(p, "args"), *env = json_object_get(p, "env"), *v;
        json_t *user = json_object_get(p, "user");
        const char *cwd = json_string_value(json_object_get(p, "cwd"));
        size_t i, paths = 0;

        if (json_array_size(args) == 0 || !*strempty(json_string_value(json_array_get(args, 0))))
                abort();
        json_array_foreach (args, i, v)
                if (!json_is_string(v))
                        abort();
        json_array_foreach (env, i, v) {
                const char *s = json_string_value(v);
                size_t k = s ? strcspn(s, "=") : 0;
                if (!s || k == 0 || !s[k])
                        abort();
                if (startswith(s, "PATH="))
                        paths++;
                for (size_t j = 0; j < i; j++)
                        if (strncmp(json_string_value(json_array_get(env, j)), s, k + 1) == 0)
                                abort();
        }
        if (paths != 1 || !cwd || cwd[0] != '/')
                abort();
        json_t *gids = json_object_get(user, "additionalGids");
        if (!json_is_integer(json_object_get(user, "uid")) ||
            !json_is_integer(json_object_get(user, "gid")) || json_array_size(gids) == 0 ||
            json_integer_value(json_array_get(gids, 0)) != json_integer_value(json_object_get(user, "gid")))
                abort();
}

static void check_apply(const ImageConfig *ic, const ImageOverrides *o)
{
        _cleanup_json_ json_t *oci = json_object();
        char *err = NULL;
        if (!oci)
                return;
        int r = image_config_apply(ic, o, rootfs_fd(), oci, &err);
        if (r < 0) {
                /* a failure says why and changes nothing */
                if (r != -ENOMEM && !err)
                        abort();
                if (json_object_size(oci) != 0)
                        abort();
        } else {
                if (err)
                        abort();
                check_process(json_object_get(oci, "process"));
        }
        free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        ImageConfig *ic = NULL;
        char *err = NULL;
        int r = image_config_parse((const char *)data, size, &ic, &err);
        if (r < 0) {
                if (ic || (r != -ENOMEM && !err))
                        abort();
                free(err);
                return 0;
        }
        if (!ic || err)
                abort();
        check_accessors(ic);
        check_volumes(ic);
        check_apply(ic, NULL);
        /* the overrides' paths: an entrypoint override drops the image's Cmd */
        char *sh[] = {"/bin/sh", NULL}, *env[] = {"PATH=/x", "A=1", NULL};
        check_apply(ic,
                    &(ImageOverrides){.entrypoint = sh, .env = env, .user = "app:wheel", .cwd = "/a/../b"});
        image_config_free(ic);
        return 0;
}

#ifdef FUZZ_STANDALONE
/* Without libFuzzer: replay the files named on the command line, or with none run a fixed number
 * of pseudo-random configs, generated from the image config's own keys and awkward values (then,
 * now and then, a byte changed), plus a small built-in corpus. Deterministic, so it can run as an
 * ordinary test. */
static uint64_t rnd_state = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void)
{
        rnd_state ^= rnd_state << 13;
        rnd_state ^= rnd_state >> 7;
        rnd_state ^= rnd_state << 17;
        return rnd_state;
}

static const char *const keys[] = {
        "config",       "Env",     "Cmd",         "Entrypoint", "User",     "WorkingDir", "Volumes",
        "ExposedPorts", "Labels",  "StopSignal",  "rootfs",     "diff_ids", "type",       "architecture",
        "os",           "history", "ArgsEscaped", "x",          "",
};
static const char *const strings[] = {
        "",
        "A=1",
        "PATH=/usr/bin",
        "A=2",
        "=x",
        "NOEQ",
        "/data",
        "/data/",
        "//var//log/.",
        "/../../../../etc/x",
        "/proc/x",
        "/sys",
        "/",
        "rel",
        "80",
        "80/tcp",
        "53/UDP",
        "0/tcp",
        "65536",
        "8080/sctp",
        "http",
        "app",
        "app:wheel",
        "1000:1000",
        "0",
        "4294967295",
        "a:b:c",
        ":wheel",
        "nobody",
        "SIGTERM",
        "RTMIN+3",
        "SIGNOPE",
        "9",
        "layers",
        "zip",
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "sha256:../x",
        "/bin/sh",
        "-c",
        "\\u00e9",
        "\\ud800",
        "\\u0000",
        "a\\nb",
        "/a\\u0001b",
        "1:99999999999",
        "app:",
        "\\\"",
};

static char buf[1 << 16];
static size_t len;

static void emit(const char *s)
{
        size_t n = strlen(s);
        if (len + n >= sizeof(buf))
                return;
        memcpy(buf + len, s, n);
        len += n;
}

static void gen_value(int depth);
static void gen_config(int depth);

static void gen_string(void)
{
        emit("\"");
        emit(strings[rnd() % ELEMENTSOF(strings)]);
        emit("\"");
}

static void gen_object(int depth)
{
        unsigned n = (unsigned)(rnd() % 5);
        emit("{");
        for (unsigned i = 0; i < n; i++) {
                if (i)
                        emit(",");
                emit("\"");
                emit(rnd() % 3 ? keys[rnd() % ELEMENTSOF(keys)] : strings[rnd() % ELEMENTSOF(strings)]);
                emit("\":");
                gen_value(depth + 1);
        }
        emit("}");
}

/* A value of the shape the key wants, most of the time. */
static void gen_typed(const char *key, int depth)
{
        if (rnd() % 8 == 0) {
                gen_value(depth);
                return;
        }
        if (streq(key, "Env") || streq(key, "Cmd") || streq(key, "Entrypoint") || streq(key, "diff_ids")) {
                unsigned n = (unsigned)(rnd() % 4);
                emit("[");
                for (unsigned i = 0; i < n; i++) {
                        if (i)
                                emit(",");
                        gen_string();
                }
                emit("]");
        } else if (streq(key, "Volumes") || streq(key, "ExposedPorts") || streq(key, "Labels")) {
                unsigned n = (unsigned)(rnd() % 4);
                emit("{");
                for (unsigned i = 0; i < n; i++) {
                        if (i)
                                emit(",");
                        gen_string();
                        emit(streq(key, "Labels") ? ":" : rnd() % 4 ? ":{}" : ":null");
                        if (streq(key, "Labels"))
                                gen_string();
                }
                emit("}");
        } else if (streq(key, "config") || streq(key, "rootfs")) {
                gen_config(depth + 1);
        } else
                gen_string();
}

static void gen_config(int depth)
{
        unsigned n = (unsigned)(rnd() % 7);
        emit("{");
        for (unsigned i = 0; i < n; i++) {
                const char *k = keys[rnd() % ELEMENTSOF(keys)];
                if (i)
                        emit(",");
                emit("\"");
                emit(k);
                emit("\":");
                if (depth > 4)
                        gen_string();
                else
                        gen_typed(k, depth);
        }
        emit("}");
}

static void gen_value(int depth)
{
        static const char *const atoms[] = {
                "null", "true", "false", "0", "-1", "1e400", "99999999999999999999", "1.5"};
        unsigned k = (unsigned)(rnd() % 10);
        if (depth > 6)
                k = 3 + k % 2;
        switch (k) {
        case 0:
        case 1:
                gen_object(depth);
                break;
        case 2: {
                unsigned n = (unsigned)(rnd() % 4);
                emit("[");
                for (unsigned i = 0; i < n; i++) {
                        if (i)
                                emit(",");
                        if (rnd() % 4)
                                gen_string();
                        else
                                gen_value(depth + 1);
                }
                emit("]");
                break;
        }
        case 3:
        case 4:
        case 5:
        case 6:
                gen_string();
                break;
        default:
                emit(atoms[rnd() % ELEMENTSOF(atoms)]);
        }
}

int main(int argc, char **argv)
{
        static const char *const corpus[] = {
                "{}",
                "[]",
                "null",
                "{\"config\":null}",
                "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Entrypoint\":[\"/entry\"],"
                "\"Cmd\":[\"a\"],\"Env\":[\"A=1\",\"PATH=/bin\"],\"User\":\"app\",\"WorkingDir\":\"/srv\","
                "\"ExposedPorts\":{\"80/tcp\":{}},\"Volumes\":{\"/data\":{}},\"Labels\":{\"a\":\"b\"},"
                "\"StopSignal\":\"SIGQUIT\"},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
                "{\"config\":{\"Cmd\":\"sh\",\"User\":\"1000:wheel\"}}",
                "{\"config\":{\"Volumes\":{\"/../../../../etc/x\":{}}}}",
                "{\"config\":{\"Cmd\":[\"x\"],\"User\":\"nobody\"}}",
                "{\"config\":{\"Env\":[\"A\"]}}",
                "{\"config\":{\"User\":\"a\",\"User\":\"b\"}}",
                "{\"config\":{\"Memory\":18446744073709551615,\"Cmd\":[\"x\"]}}",
                "{\"config\":{\"Cmd\":[\"\"]}}",
                "{\"config\":{\"Cmd\":[\"a\\u0000b\"]}}",
                "{\"config\":{\"Cmd\":[\"x\"],\"WorkingDir\":\"/a/../../b\"}}",
        };

        if (argc > 1) {
                for (int i = 1; i < argc; i++) {
                        char *data = NULL;
                        size_t size = 0;
                        int r = read_full_file(argv[i], 1 << 24, &data, &size);
                        if (r < 0) {
                                fprintf(stderr, "%s: %s\n", argv[i], strerror(-r));
                                return 1;
                        }
                        LLVMFuzzerTestOneInput((const uint8_t *)data, size);
                        free(data);
                }
                return 0;
        }

        for (size_t i = 0; i < ELEMENTSOF(corpus); i++)
                LLVMFuzzerTestOneInput((const uint8_t *)corpus[i], strlen(corpus[i]));
        for (int iter = 0; iter < 100000; iter++) {
                len = 0;
                if (rnd() % 4) {
                        /* most inputs look like an image config: an object with a config object */
                        emit("{\"config\":");
                        gen_config(1);
                        if (rnd() % 2) {
                                emit(",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":");
                                gen_typed("diff_ids", 1);
                                emit("}");
                        }
                        emit("}");
                } else
                        gen_value(0);
                if (len > 0 && rnd() % 8 == 0)
                        buf[rnd() % len] = (char)rnd();
                LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
        }
        return 0;
}
#endif
