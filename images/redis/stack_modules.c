/* The Redis Stack module commands that the offline image lacks, as clear errors.
 *
 * Redis Stack adds modules (RedisJSON, RediSearch, RedisTimeSeries, RedisBloom) that are not
 * in Debian. Without them a client's JSON.SET would meet "unknown command", which reads like a
 * typo. Loaded into biodev/redis:7 when it stands in for Redis Stack, this module registers
 * each module command and answers it with an error that names the missing module and the
 * image to use instead.
 *
 * It is built on the host with no C library (-nostdlib -ffreestanding): all it calls is the
 * module API, reached through the pointer table Redis hands to RedisModule_OnLoad, so one
 * build loads into any Redis 7 on any Linux of the same architecture. The few declarations
 * below are the stable module ABI (API version 1) that redismodule.h describes.
 */

typedef struct RedisModuleCtx RedisModuleCtx;
typedef struct RedisModuleString RedisModuleString;
typedef int (*RedisModuleCmdFunc)(RedisModuleCtx *ctx, RedisModuleString **argv, int argc);

#define MODULE_OK 0
#define MODULE_ERR 1
#define MODULE_APIVER_1 1

static int (*GetApi)(const char *name, void *out);
static int (*CreateCommand)(RedisModuleCtx *ctx, const char *name, RedisModuleCmdFunc fn, const char *flags,
                            int firstkey, int lastkey, int keystep);
static int (*ReplyWithError)(RedisModuleCtx *ctx, const char *err);
static const char *(*StringPtrLen)(const RedisModuleString *s, unsigned long *len);
static void (*SetModuleAttribs)(RedisModuleCtx *ctx, const char *name, int ver, int apiver);
static int (*IsModuleNameBusy)(const char *name);

struct Family {
  const char *module;   /* the Redis Stack module that serves the commands */
  const char *commands; /* its commands, space-separated */
};

static const struct Family kFamilies[] = {
    {"RedisJSON",
     "JSON.ARRAPPEND JSON.ARRINDEX JSON.ARRINSERT JSON.ARRLEN JSON.ARRPOP JSON.ARRTRIM JSON.CLEAR "
     "JSON.DEBUG JSON.DEL JSON.FORGET JSON.GET JSON.MERGE JSON.MGET JSON.MSET JSON.NUMINCRBY "
     "JSON.NUMMULTBY JSON.NUMPOWBY JSON.OBJKEYS JSON.OBJLEN JSON.RESP JSON.SET JSON.STRAPPEND "
     "JSON.STRLEN JSON.TOGGLE JSON.TYPE"},
    {"RediSearch",
     "FT.AGGREGATE FT.ALIASADD FT.ALIASDEL FT.ALIASUPDATE FT.ALTER FT.CONFIG FT.CREATE FT.CURSOR "
     "FT.DICTADD FT.DICTDEL FT.DICTDUMP FT.DROPINDEX FT.EXPLAIN FT.EXPLAINCLI FT.INFO FT.PROFILE "
     "FT.SEARCH FT.SPELLCHECK FT.SUGADD FT.SUGDEL FT.SUGGET FT.SUGLEN FT.SYNDUMP FT.SYNUPDATE "
     "FT.TAGVALS FT._LIST"},
    {"RedisTimeSeries",
     "TS.ADD TS.ALTER TS.CREATE TS.CREATERULE TS.DECRBY TS.DEL TS.DELETERULE TS.GET TS.INCRBY "
     "TS.INFO TS.MADD TS.MGET TS.MRANGE TS.MREVRANGE TS.QUERYINDEX TS.RANGE TS.REVRANGE"},
    {"RedisBloom",
     "BF.ADD BF.CARD BF.EXISTS BF.INFO BF.INSERT BF.LOADCHUNK BF.MADD BF.MEXISTS BF.RESERVE "
     "BF.SCANDUMP CF.ADD CF.ADDNX CF.COUNT CF.DEL CF.EXISTS CF.INFO CF.INSERT CF.INSERTNX "
     "CF.LOADCHUNK CF.MEXISTS CF.RESERVE CF.SCANDUMP CMS.INCRBY CMS.INFO CMS.INITBYDIM "
     "CMS.INITBYPROB CMS.MERGE CMS.QUERY TOPK.ADD TOPK.COUNT TOPK.INCRBY TOPK.INFO TOPK.LIST "
     "TOPK.QUERY TOPK.RESERVE TDIGEST.ADD TDIGEST.BYRANK TDIGEST.BYREVRANK TDIGEST.CDF "
     "TDIGEST.CREATE TDIGEST.INFO TDIGEST.MAX TDIGEST.MERGE TDIGEST.MIN TDIGEST.QUANTILE "
     "TDIGEST.RANK TDIGEST.RESET TDIGEST.REVRANK TDIGEST.TRIMMED_MEAN"},
};

#define FAMILY_COUNT (sizeof kFamilies / sizeof kFamilies[0])

/* Appends `s` (at most `n` bytes, or up to its NUL when n is -1) to buf at *at. */
static void put(char *buf, unsigned long cap, unsigned long *at, const char *s, long n) {
  for (long i = 0; (n < 0 ? s[i] != '\0' : i < n) && *at + 1 < cap; ++i) buf[(*at)++] = s[i];
  buf[*at] = '\0';
}

static int same_prefix(const char *a, unsigned long alen, const char *b) {
  /* a (a command as sent, any case) begins with b's "XX." prefix */
  unsigned long i = 0;
  for (; b[i] != '.' && b[i] != '\0'; ++i) {
    if (i >= alen) return 0;
    char c = a[i];
    if (c >= 'a' && c <= 'z') c = (char)(c - 'a' + 'A');
    if (c != b[i]) return 0;
  }
  return i < alen && a[i] == '.';
}

static int reply_missing(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
  (void)argc;
  unsigned long len = 0;
  const char *name = StringPtrLen(argv[0], &len);
  const char *module = "a Redis Stack module";
  for (unsigned long f = 0; f < FAMILY_COUNT; ++f) {
    const char *c = kFamilies[f].commands;
    /* every family's commands share one prefix per word; test each word's prefix */
    for (const char *w = c; *w != '\0';) {
      if (same_prefix(name, len, w)) {
        module = kFamilies[f].module;
        goto found;
      }
      while (*w != ' ' && *w != '\0') ++w;
      while (*w == ' ') ++w;
    }
  }
found:;
  char buf[400];
  unsigned long at = 0;
  put(buf, sizeof buf, &at, "ERR ", -1);
  for (unsigned long i = 0; i < len && i < 40; ++i) {
    char c = name[i];
    if (c >= 'a' && c <= 'z') c = (char)(c - 'a' + 'A');
    put(buf, sizeof buf, &at, &c, 1);
  }
  put(buf, sizeof buf, &at, " needs the ", -1);
  put(buf, sizeof buf, &at, module, -1);
  put(buf, sizeof buf, &at,
      " module, which the offline biodev/redis:7 image (plain Redis 7 standing in for Redis Stack) "
      "does not have: run the upstream redis/redis-stack-server image where a registry answers",
      -1);
  return ReplyWithError(ctx, buf);
}

int RedisModule_OnLoad(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
  (void)argv;
  (void)argc;
  GetApi = (int (*)(const char *, void *))((void **)ctx)[0];
  if (GetApi("RedisModule_CreateCommand", (void *)&CreateCommand) != MODULE_OK ||
      GetApi("RedisModule_ReplyWithError", (void *)&ReplyWithError) != MODULE_OK ||
      GetApi("RedisModule_StringPtrLen", (void *)&StringPtrLen) != MODULE_OK ||
      GetApi("RedisModule_SetModuleAttribs", (void *)&SetModuleAttribs) != MODULE_OK)
    return MODULE_ERR;
  if (GetApi("RedisModule_IsModuleNameBusy", (void *)&IsModuleNameBusy) != MODULE_OK) IsModuleNameBusy = 0;
  if (IsModuleNameBusy && IsModuleNameBusy("biodev-stack-stub")) return MODULE_ERR;
  SetModuleAttribs(ctx, "biodev-stack-stub", 1, MODULE_APIVER_1);

  char name[32];
  for (unsigned long f = 0; f < FAMILY_COUNT; ++f) {
    for (const char *w = kFamilies[f].commands; *w != '\0';) {
      unsigned long n = 0;
      while (w[n] != ' ' && w[n] != '\0' && n + 1 < sizeof name) {
        name[n] = w[n];
        ++n;
      }
      name[n] = '\0';
      if (CreateCommand(ctx, name, reply_missing, "readonly fast", 0, 0, 0) != MODULE_OK) return MODULE_ERR;
      w += n;
      while (*w == ' ') ++w;
    }
  }
  return MODULE_OK;
}
