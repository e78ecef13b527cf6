/* runner_split.c: the fork that splits the agent in its root side and its
 * network side, and the network side's drop to agent.user (runner.h).
 *
 * The user is looked up before the fork, while the agent can still read
 * every database; the child then only makes system calls: setgroups to the
 * user's group alone, setresgid, setresuid, a check that every id changed
 * and that root cannot be had back, and PR_SET_NO_NEW_PRIVS. No thread
 * exists yet (the ZeroMQ context comes after), so glibc's set*id calls
 * reach the whole process. A child that cannot drop exits: it never runs
 * the protocol with more than it should have.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/runner.h"
#include "cphub/log.h"

/* getpwnam_r's buffer. */
#define RUNNER_PWBUF_MAX 16384

static int drop (const runner_split_t *s)
{
    uid_t ru, eu, su;
    gid_t rg, eg, sg;

    if (setgroups (1, &s->gid) < 0 || setresgid (s->gid, s->gid, s->gid) < 0 ||
        setresuid (s->uid, s->uid, s->uid) < 0)
        return -1;
    if (getresuid (&ru, &eu, &su) < 0 || getresgid (&rg, &eg, &sg) < 0)
        return -1;
    if (ru != s->uid || eu != s->uid || su != s->uid || rg != s->gid || eg != s->gid ||
        sg != s->gid || setuid (0) == 0) {
        errno = EPERM;
        return -1;
    }
    return 0;
}

int runner_split (const char *user, runner_split_t *out, cphub_error_t *err)
{
    int sv[2] = {-1, -1};
    pid_t parent = getpid (), pid;

    memset (out, 0, sizeof (*out));
    out->sock = -1;
    out->uid = geteuid ();
    out->gid = getegid ();
    if (out->uid == 0) {
        struct passwd pw, *found = NULL;
        char *buf = malloc (RUNNER_PWBUF_MAX);
        int rc = buf ? getpwnam_r (user, &pw, buf, RUNNER_PWBUF_MAX, &found) : ENOMEM;

        if (rc != 0 || !found) {
            free (buf);
            return cphub_fail (err, rc ? rc : ENOENT,
                               "agent.user '%s' does not exist%s%s (the agent's "
                               "network process runs as that user)",
                               user, rc ? ": " : "", rc ? strerror (rc) : "");
        }
        out->uid = pw.pw_uid;
        out->gid = pw.pw_gid;
        free (buf);
        if (out->uid == 0 || out->gid == 0)
            return cphub_fail (err, EPERM,
                               "agent.user '%s' has uid or gid 0; the network process "
                               "must not run as root (default \"nobody\")",
                               user);
        out->dropped = true;
        snprintf (out->user, sizeof (out->user), "%s", user);
    }
    if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return cphub_fail (err, errno, "socketpair: %s", strerror (errno));
    fflush (NULL); /* nothing buffered is written twice */
    if ((pid = fork ()) < 0) {
        int saved = errno;
        close (sv[0]);
        close (sv[1]);
        return cphub_fail (err, saved, "fork: %s", strerror (saved));
    }
    if (pid > 0) {
        close (sv[1]);
        out->net_pid = pid;
        out->sock = sv[0];
        return 1;
    }
    close (sv[0]);
    out->sock = sv[1];
    out->net_pid = getpid ();
    if (out->dropped && drop (out) < 0) {
        log_err ("the network process cannot become '%s' (uid %u, gid %u): %s", user,
                 (unsigned)out->uid, (unsigned)out->gid, strerror (errno));
        _exit (1);
    }
    if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
        prctl (PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) < 0) {
        log_err ("the network process cannot restrict itself: %s", strerror (errno));
        _exit (1);
    }
    if (getppid () != parent) /* the root side died before PDEATHSIG was set */
        _exit (1);
    if (chdir ("/") < 0) {
        log_err ("the network process cannot leave its directory: %s",
                 strerror (errno));
        _exit (1);
    }
    return 0;
}
