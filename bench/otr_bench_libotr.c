/* libotr 4.1.1 side of bench/otr_bench.py, compiled at run time with gcc -O2.
 *
 * Why C and not ctypes: libotr encrypts and decrypts a 100-byte message in a few microseconds;
 * ctypes calls and Python callbacks cost about as much again, which would flatter everyone
 * measured against libotr. This helper calls libotr the way Pidgin does: in-process, C callbacks.
 *
 * Usage (every command prints one sample per line):
 *   keygen KEYFILE                      two DSA-1024 keys (alice, bob) into KEYFILE
 *   ake KEYFILE TMPDIR N POLICYBITS     N AKEs on fresh userstates, milliseconds each
 *   oneway KEYFILE TMPDIR SIZE BATCH N  N batches alice->bob, messages per second each
 *   pingpong KEYFILE TMPDIR SIZE BATCH N  alternating (every message rotates D-H keys), msg/s
 *   smp KEYFILE TMPDIR N                N SMP runs (same secret) on one session, milliseconds each
 * Exit status 2 on any protocol problem (wrong plaintext, missing session, SMP not succeeding).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <gcrypt.h>
#include <libotr/proto.h>
#include <libotr/userstate.h>
#include <libotr/privkey.h>
#include <libotr/instag.h>
#include <libotr/context.h>
#include <libotr/message.h>

#define QCAP 4096
#define PROTO "xmpp"

typedef struct {
    char *items[QCAP];
    int head, tail;
} Queue;

typedef struct {
    OtrlUserState us;
    const char *name, *other;
    Queue out;
    int secure;
    int smp_asked;
    int smp_result; /* 0 running, 1 success, -1 failure/abort */
} Peer;

static OtrlPolicy policy_bits = OTRL_POLICY_ALWAYS;
static int problems = 0;

static void die(const char *what) { fprintf(stderr, "otr_bench_libotr: %s\n", what); exit(2); }

static void q_push(Queue *q, char *m) {
    if ((q->tail + 1) % QCAP == q->head) die("queue overflow");
    q->items[q->tail] = m;
    q->tail = (q->tail + 1) % QCAP;
}

static char *q_pop(Queue *q) {
    if (q->head == q->tail) return NULL;
    char *m = q->items[q->head];
    q->head = (q->head + 1) % QCAP;
    return m;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static OtrlPolicy cb_policy(void *op, ConnContext *c) { (void)op; (void)c; return policy_bits; }
static int cb_logged_in(void *op, const char *a, const char *p, const char *r) {
    (void)op; (void)a; (void)p; (void)r; return 1;
}
static void cb_inject(void *op, const char *a, const char *p, const char *r, const char *m) {
    (void)a; (void)p; (void)r;
    q_push(&((Peer *)op)->out, strdup(m));
}
static void cb_gone_secure(void *op, ConnContext *c) { (void)c; ((Peer *)op)->secure = 1; }
static void cb_still_secure(void *op, ConnContext *c, int r) { (void)c; (void)r; ((Peer *)op)->secure = 1; }
static int cb_max_size(void *op, ConnContext *c) { (void)op; (void)c; return 0; }
static void cb_smp(void *op, OtrlSMPEvent ev, ConnContext *c, unsigned short pct, char *q) {
    Peer *p = op;
    (void)c; (void)pct; (void)q;
    if (ev == OTRL_SMPEVENT_ASK_FOR_SECRET || ev == OTRL_SMPEVENT_ASK_FOR_ANSWER) p->smp_asked = 1;
    else if (ev == OTRL_SMPEVENT_SUCCESS) p->smp_result = 1;
    else if (ev != OTRL_SMPEVENT_IN_PROGRESS) p->smp_result = -1;
}
static void cb_msg_event(void *op, OtrlMessageEvent ev, ConnContext *c, const char *m, gcry_error_t e) {
    (void)op; (void)c; (void)m; (void)e;
    if (ev != OTRL_MSGEVENT_LOG_HEARTBEAT_RCVD && ev != OTRL_MSGEVENT_LOG_HEARTBEAT_SENT) problems++;
}
static void cb_no_key(void *op, const char *a, const char *p) { (void)op; (void)a; (void)p; die("missing key/instag"); }

static OtrlMessageAppOps ops;

static void init_ops(void) {
    memset(&ops, 0, sizeof ops);
    ops.policy = cb_policy;
    ops.create_privkey = cb_no_key;
    ops.is_logged_in = cb_logged_in;
    ops.inject_message = cb_inject;
    ops.gone_secure = cb_gone_secure;
    ops.still_secure = cb_still_secure;
    ops.max_message_size = cb_max_size;
    ops.handle_smp_event = cb_smp;
    ops.handle_msg_event = cb_msg_event;
    ops.create_instag = cb_no_key;
}

static void peer_open(Peer *p, const char *name, const char *other, const char *keyfile, const char *tmpdir) {
    char path[4096];
    memset(p, 0, sizeof *p);
    p->name = name;
    p->other = other;
    p->us = otrl_userstate_create();
    if (otrl_privkey_read(p->us, keyfile)) die("otrl_privkey_read");
    snprintf(path, sizeof path, "%s/%s.instag", tmpdir, name);
    if (otrl_instag_generate(p->us, path, name, PROTO)) die("otrl_instag_generate");
}

static void peer_close(Peer *p) {
    char *m;
    while ((m = q_pop(&p->out))) free(m);
    otrl_userstate_free(p->us);
}

/* Deliver one wire message from src to dst; returns dst's displayed text (caller frees) or NULL. */
static char *deliver(Peer *src, Peer *dst, const char *wire) {
    char *newmsg = NULL;
    OtrlTLV *tlvs = NULL;
    int internal = otrl_message_receiving(dst->us, &ops, dst, dst->name, PROTO, src->name, wire,
                                          &newmsg, &tlvs, NULL, NULL, NULL);
    if (tlvs) otrl_tlv_free(tlvs);
    if (internal) {
        if (newmsg) otrl_message_free(newmsg);
        return NULL;
    }
    return newmsg;
}

static void pump(Peer *a, Peer *b) {
    int moved = 1;
    while (moved) {
        moved = 0;
        char *m;
        while ((m = q_pop(&a->out))) { char *s = deliver(a, b, m); if (s) otrl_message_free(s); free(m); moved = 1; }
        while ((m = q_pop(&b->out))) { char *s = deliver(b, a, m); if (s) otrl_message_free(s); free(m); moved = 1; }
    }
}

static ConnContext *secure_context(Peer *p) {
    ConnContext *m = otrl_context_find(p->us, p->other, p->name, PROTO, OTRL_INSTAG_MASTER, 0, NULL, NULL, NULL);
    if (!m) die("no context");
    ConnContext *c = otrl_context_find_recent_secure_instance(m);
    if (!c || c->msgstate != OTRL_MSGSTATE_ENCRYPTED) die("no encrypted context");
    return c;
}

static void ake(Peer *a, Peer *b) {
    char *q = otrl_proto_default_query_msg(a->name, policy_bits);
    q_push(&a->out, q);
    pump(a, b);
    if (!a->secure || !b->secure) die("AKE did not complete");
    secure_context(a);
    secure_context(b);
}

/* Encrypt text from src and deliver to dst; checks the plaintext when check is set. */
static void one_message(Peer *src, Peer *dst, const char *text, int check) {
    char *wire = NULL;
    if (otrl_message_sending(src->us, &ops, src, src->name, PROTO, src->other, OTRL_INSTAG_BEST, text,
                             NULL, &wire, OTRL_FRAGMENT_SEND_SKIP, NULL, NULL, NULL) || !wire)
        die("otrl_message_sending");
    char *shown = deliver(src, dst, wire);
    if (check && (!shown || strcmp(shown, text) != 0)) die("plaintext mismatch");
    if (shown) otrl_message_free(shown);
    otrl_message_free(wire);
    char *m;
    while ((m = q_pop(&src->out))) free(m); /* nothing is expected here */
}

static char *make_text(int size) {
    char *t = malloc(size + 1);
    for (int i = 0; i < size; i++) t[i] = 'a' + (i * 7) % 26;
    t[size] = 0;
    return t;
}

int main(int argc, char **argv) {
    OTRL_INIT;
    init_ops();
    if (argc < 3) die("usage: see the source");
    const char *cmd = argv[1], *keyfile = argv[2];
    if (!strcmp(cmd, "keygen")) {
        OtrlUserState us = otrl_userstate_create();
        if (otrl_privkey_generate(us, keyfile, "alice", PROTO)) die("keygen alice");
        if (otrl_privkey_generate(us, keyfile, "bob", PROTO)) die("keygen bob");
        otrl_userstate_free(us);
        return 0;
    }
    if (argc < 5) die("missing arguments");
    const char *tmpdir = argv[3];
    Peer a, b;
    if (!strcmp(cmd, "ake")) {
        int n = atoi(argv[4]);
        if (argc > 5) policy_bits = (OtrlPolicy)strtoul(argv[5], NULL, 0);
        for (int i = 0; i < n; i++) {
            peer_open(&a, "alice", "bob", keyfile, tmpdir);
            peer_open(&b, "bob", "alice", keyfile, tmpdir);
            double t0 = now();
            ake(&a, &b);
            double t1 = now();
            printf("%.6f\n", (t1 - t0) * 1e3);
            peer_close(&a);
            peer_close(&b);
        }
    } else if (!strcmp(cmd, "oneway") || !strcmp(cmd, "pingpong")) {
        if (argc < 7) die("missing arguments");
        int size = atoi(argv[4]), batch = atoi(argv[5]), n = atoi(argv[6]);
        int alternate = !strcmp(cmd, "pingpong");
        char *text = make_text(size);
        peer_open(&a, "alice", "bob", keyfile, tmpdir);
        peer_open(&b, "bob", "alice", keyfile, tmpdir);
        ake(&a, &b);
        for (int i = 0; i < 20; i++) one_message(alternate && (i & 1) ? &b : &a, alternate && (i & 1) ? &a : &b, text, 1);
        for (int s = 0; s < n; s++) {
            double t0 = now();
            for (int i = 0; i < batch; i++) {
                if (alternate && (i & 1)) one_message(&b, &a, text, 0);
                else one_message(&a, &b, text, 0);
            }
            double t1 = now();
            printf("%.3f\n", batch / (t1 - t0));
        }
        one_message(&a, &b, text, 1);
        one_message(&b, &a, text, 1);
        free(text);
        peer_close(&a);
        peer_close(&b);
    } else if (!strcmp(cmd, "smp")) {
        int n = atoi(argv[4]);
        static const unsigned char secret[] = "correct horse battery staple";
        peer_open(&a, "alice", "bob", keyfile, tmpdir);
        peer_open(&b, "bob", "alice", keyfile, tmpdir);
        ake(&a, &b);
        for (int i = 0; i < n; i++) {
            a.smp_result = b.smp_result = a.smp_asked = b.smp_asked = 0;
            double t0 = now();
            otrl_message_initiate_smp(a.us, &ops, &a, secure_context(&a), secret, sizeof secret - 1);
            while (a.smp_result == 0 || b.smp_result == 0) {
                int before = a.out.tail + b.out.tail + a.out.head + b.out.head;
                pump(&a, &b);
                if (b.smp_asked) {
                    b.smp_asked = 0;
                    otrl_message_respond_smp(b.us, &ops, &b, secure_context(&b), secret, sizeof secret - 1);
                } else if (before == a.out.tail + b.out.tail + a.out.head + b.out.head && (a.smp_result == 0 || b.smp_result == 0)) {
                    die("SMP stalled");
                }
            }
            double t1 = now();
            if (a.smp_result != 1 || b.smp_result != 1) die("SMP did not succeed");
            printf("%.6f\n", (t1 - t0) * 1e3);
        }
        peer_close(&a);
        peer_close(&b);
    } else {
        die("unknown command");
    }
    if (problems) die("libotr reported message events");
    return 0;
}
