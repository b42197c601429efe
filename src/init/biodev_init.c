/* biodev-init: the first process of a container whose service `biodev watch` restarts
 * in place (docs/profile.md, watch). It starts the service's command as its child, passes
 * it the signals the container gets, reaps every process that ends under it, and ends
 * with the child's status, as any init does. On top of that it listens on an abstract
 * unix socket of the container's network namespace, "biodev-init/<service>", where
 * `biodev-init --restart <service>` (run by `biodev watch` through the engine's exec)
 * asks it to stop the child and start the command again: the container, its network
 * sandbox and its mounts stay, only the process is new.
 *
 *   biodev-init --service NAME [--grace SECONDS] -- CMD [ARG...]
 *   biodev-init --restart NAME
 *
 * The restart protocol, one connection per request: the client writes "restart\n"; the
 * init stops the child's process group (SIGTERM, SIGKILL after the grace), starts the
 * command again and answers "started <pid>\n"; if that child ends within ten seconds it
 * answers "exited <status>\n", else "running\n" (or "superseded\n" when another restart is
 * asked for first), and closes. A child that ends after a restart does not end the
 * container: the init says so on stderr and waits for the next restart, so that an edit
 * with a syntax error can be followed by the fix.
 *
 * Built static (no shared library of the image is needed) and bind-mounted read-only
 * into the container by `biodev up`. Linux only. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 16
#define WINDOW_MS 10000

enum client_state { C_FREE, C_READING, C_WAITING, C_WATCHING };

struct client {
  int fd;
  enum client_state state;
  long long deadline_ms; /* C_WATCHING: when to answer "running" */
  char buf[64];
  size_t len;
};

static struct client clients[MAX_CLIENTS];
static pid_t child;       /* 0: none running */
static int restarting;    /* a restart waits for the old child to end */
static int restarted;     /* a restart happened: a child's end no longer ends the init */
static int terminating;   /* the container is being stopped: never start again */
static int term_status;   /* the status to end with once terminating */
static long long kill_at; /* restarting: when the old child's group gets SIGKILL (0: sent) */
static int grace_s = 10;
static long long forwarded_at = -1; /* when a signal was last passed to the child */
static char** command;

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void say(const char* fmt, ...) {
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n > sizeof line - 2) n = (int)sizeof line - 2;
  line[n++] = '\n';
  ssize_t w = write(STDERR_FILENO, line, (size_t)n);
  (void)w;
}

static int socket_address(const char* service, struct sockaddr_un* a, socklen_t* len) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  int n = snprintf(a->sun_path + 1, sizeof a->sun_path - 1, "biodev-init/%s", service);
  if (n < 0 || (size_t)n >= sizeof a->sun_path - 1) return -1;
  *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
  return 0;
}

/* The signals the init takes through its signalfd: all but those a fault raises. */
static void handled_signals(sigset_t* set) {
  sigfillset(set);
  int faults[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS};
  for (size_t i = 0; i < sizeof faults / sizeof faults[0]; ++i) sigdelset(set, faults[i]);
}

static int exit_status(int st) { return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st); }

/* Starts the command in a process group of its own (so that a restart reaches what it
 * started too). Returns the pid, or 0 when it could not be executed (said on stderr). */
static pid_t spawn(void) {
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) < 0) {
    say("biodev-init: pipe: %s", strerror(errno));
    return 0;
  }
  pid_t pid = fork();
  if (pid < 0) {
    say("biodev-init: fork: %s", strerror(errno));
    close(pipefd[0]);
    close(pipefd[1]);
    return 0;
  }
  if (pid == 0) {
    close(pipefd[0]);
    setpgid(0, 0);
    /* The terminal's foreground group, while every signal is still blocked (so that
     * SIGTTOU does not stop a group that is not yet in the foreground). */
    if (isatty(STDIN_FILENO)) {
      int r = tcsetpgrp(STDIN_FILENO, getpid());
      (void)r;
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execvp(command[0], command);
    int e = errno;
    ssize_t w = write(pipefd[1], &e, sizeof e);
    (void)w;
    _exit(127);
  }
  setpgid(pid, pid);
  close(pipefd[1]);
  int e = 0;
  ssize_t n;
  do n = read(pipefd[0], &e, sizeof e);
  while (n < 0 && errno == EINTR);
  close(pipefd[0]);
  if (n == (ssize_t)sizeof e) {
    say("biodev-init: cannot run %s: %s", command[0], strerror(e));
    int st;
    waitpid(pid, &st, 0);
    return 0;
  }
  return pid;
}

static void client_close(struct client* c) {
  if (c->state == C_FREE) return;
  close(c->fd);
  c->state = C_FREE;
  c->len = 0;
}

static void client_send(struct client* c, const char* msg) {
  ssize_t w = send(c->fd, msg, strlen(msg), MSG_NOSIGNAL | MSG_DONTWAIT);
  (void)w;
}

/* A new child is running (pid > 0) or could not be started: tell those waiting. */
static void started(pid_t pid) {
  char msg[64];
  if (pid > 0) {
    say("biodev-init: started %s (pid %d)", command[0], (int)pid);
    snprintf(msg, sizeof msg, "started %d\n", (int)pid);
  } else {
    snprintf(msg, sizeof msg, "exited 127\n");
  }
  for (int i = 0; i < MAX_CLIENTS; ++i) {
    struct client* c = &clients[i];
    if (c->state != C_WAITING) continue;
    client_send(c, msg);
    if (pid > 0) {
      c->state = C_WATCHING;
      c->deadline_ms = now_ms() + WINDOW_MS;
    } else {
      client_close(c);
    }
  }
}

static void begin_restart(void) {
  restarted = 1;
  if (restarting) return; /* one in progress: this request waits for it too */
  if (child > 0) {
    restarting = 1;
    say("biodev-init: restarting %s (pid %d)", command[0], (int)child);
    if (kill(-child, SIGTERM) < 0) kill(child, SIGTERM);
    kill_at = now_ms() + (long long)grace_s * 1000;
  } else {
    child = spawn();
    started(child);
  }
}

static void child_ended(int st) {
  pid_t old = child;
  child = 0;
  kill(-old, SIGKILL); /* what it left running in its group */
  if (terminating) exit(term_status ? term_status : exit_status(st));
  if (restarting) {
    restarting = 0;
    child = spawn();
    started(child);
    return;
  }
  /* Ended by a signal the container got (its stop signal, whichever that is): the
   * container ends with it, as without a restart. */
  if (!restarted || (forwarded_at >= 0 && now_ms() - forwarded_at <= (long long)grace_s * 1000 + 1000))
    exit(exit_status(st));
  say("biodev-init: %s exited with status %d; waiting for the next restart", command[0], exit_status(st));
  char msg[32];
  snprintf(msg, sizeof msg, "exited %d\n", exit_status(st));
  for (int i = 0; i < MAX_CLIENTS; ++i)
    if (clients[i].state == C_WATCHING) {
      client_send(&clients[i], msg);
      client_close(&clients[i]);
    }
}

static void on_signal(const struct signalfd_siginfo* si) {
  int sig = (int)si->ssi_signo;
  if (sig == SIGCHLD) {
    int st;
    pid_t pid;
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
      if (pid == child) child_ended(st);
    return;
  }
  if (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT) {
    if (child <= 0) exit(128 + sig);
    terminating = 1;
    if (restarting) term_status = 128 + sig; /* the old child was asked to end already */
  }
  if (child > 0) {
    kill(child, sig);
    forwarded_at = now_ms();
  }
}

static void on_client(struct client* c) {
  ssize_t n = recv(c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len, MSG_DONTWAIT);
  if (n <= 0) {
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    client_close(c);
    return;
  }
  if (c->state != C_READING) return; /* nothing more is expected */
  c->len += (size_t)n;
  c->buf[c->len] = 0;
  if (!strchr(c->buf, '\n')) {
    if (c->len >= sizeof c->buf - 1) client_close(c);
    return;
  }
  if (strncmp(c->buf, "restart\n", 8) != 0 || terminating) {
    client_send(c, terminating ? "error the container is stopping\n" : "error unknown request\n");
    client_close(c);
    return;
  }
  /* Those still watching an earlier restart are answered: this one supersedes it. */
  for (int i = 0; i < MAX_CLIENTS; ++i)
    if (clients[i].state == C_WATCHING) {
      client_send(&clients[i], "superseded\n");
      client_close(&clients[i]);
    }
  c->state = C_WAITING;
  begin_restart();
}

static int run_init(const char* service) {
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  sigset_t set;
  handled_signals(&set);
  sigprocmask(SIG_BLOCK, &set, NULL);
  int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) {
    say("biodev-init: signalfd: %s", strerror(errno));
    return 127;
  }
  int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  struct sockaddr_un addr;
  socklen_t alen;
  if (lfd < 0 || socket_address(service, &addr, &alen) < 0 || bind(lfd, (struct sockaddr*)&addr, alen) < 0 ||
      listen(lfd, 8) < 0) {
    say("biodev-init: no restart socket for %s (%s): the service restarts with its container", service,
        strerror(errno));
    if (lfd >= 0) close(lfd);
    lfd = -1;
  }
  child = spawn();
  if (child <= 0) return 127;
  for (;;) {
    struct pollfd fds[2 + MAX_CLIENTS];
    int slot[2 + MAX_CLIENTS];
    nfds_t nfds = 0;
    fds[nfds++] = (struct pollfd){sfd, POLLIN, 0};
    if (lfd >= 0) fds[nfds++] = (struct pollfd){lfd, POLLIN, 0};
    long long next = -1;
    for (int i = 0; i < MAX_CLIENTS; ++i) {
      if (clients[i].state == C_FREE) continue;
      slot[nfds] = i;
      fds[nfds++] = (struct pollfd){clients[i].fd, POLLIN, 0};
      if (clients[i].state == C_WATCHING && (next < 0 || clients[i].deadline_ms < next)) next = clients[i].deadline_ms;
    }
    if (restarting && kill_at && (next < 0 || kill_at < next)) next = kill_at;
    int timeout = -1;
    if (next >= 0) {
      long long d = next - now_ms();
      timeout = d < 0 ? 0 : (int)d;
    }
    int r = poll(fds, nfds, timeout);
    if (r < 0 && errno != EINTR) {
      say("biodev-init: poll: %s", strerror(errno));
      return 127;
    }
    long long t = now_ms();
    if (restarting && kill_at && t >= kill_at && child > 0) {
      if (kill(-child, SIGKILL) < 0) kill(child, SIGKILL);
      kill_at = 0;
    }
    for (int i = 0; i < MAX_CLIENTS; ++i)
      if (clients[i].state == C_WATCHING && t >= clients[i].deadline_ms) {
        client_send(&clients[i], "running\n");
        client_close(&clients[i]);
      }
    if (r <= 0) continue;
    for (nfds_t k = 0; k < nfds; ++k) {
      if (!fds[k].revents) continue;
      if (fds[k].fd == sfd) {
        struct signalfd_siginfo si;
        while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) on_signal(&si);
      } else if (fds[k].fd == lfd) {
        int cfd;
        while ((cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
          int i = 0;
          while (i < MAX_CLIENTS && clients[i].state != C_FREE) ++i;
          if (i == MAX_CLIENTS) {
            close(cfd);
            continue;
          }
          clients[i] = (struct client){cfd, C_READING, 0, {0}, 0};
        }
      } else {
        on_client(&clients[slot[k]]);
      }
    }
  }
}

/* `--restart NAME`: one request; the init's answers go to stdout as they come. Exit 0
 * when the command was started again, 1 when it could not be, 2 when no init answers. */
static int run_client(const char* service) {
  struct sockaddr_un addr;
  socklen_t alen;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || socket_address(service, &addr, &alen) < 0 || connect(fd, (struct sockaddr*)&addr, alen) < 0) {
    printf("error no biodev-init of %s answers in this container\n", service);
    return 2;
  }
  if (send(fd, "restart\n", 8, MSG_NOSIGNAL) != 8) {
    printf("error %s\n", strerror(errno));
    return 2;
  }
  int ok = 0;
  char buf[256];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) {
    if (!ok && n >= 8 && memcmp(buf, "started ", 8) == 0) ok = 1;
    fwrite(buf, 1, (size_t)n, stdout);
    fflush(stdout);
  }
  return ok ? 0 : 1;
}

static int usage(void) {
  fprintf(stderr,
          "usage: biodev-init --service NAME [--grace SECONDS] -- CMD [ARG...]\n"
          "       biodev-init --restart NAME\n");
  return 127;
}

int main(int argc, char** argv) {
  const char* service = NULL;
  int i = 1;
  if (argc == 3 && strcmp(argv[1], "--restart") == 0) return run_client(argv[2]);
  for (; i < argc; ++i) {
    if (strcmp(argv[i], "--service") == 0 && i + 1 < argc) {
      service = argv[++i];
    } else if (strcmp(argv[i], "--grace") == 0 && i + 1 < argc) {
      grace_s = atoi(argv[++i]);
    } else if (strcmp(argv[i], "--") == 0) {
      ++i;
      break;
    } else {
      return usage();
    }
  }
  if (!service || i >= argc) return usage();
  command = argv + i;
  return run_init(service);
}
