/* Threads the .NET runtime never sees: plain pthreads started from C, for the `native` scenario, and C11 threads
 * (thrd_create, as librdkafka makes them), some of which call back into managed code.
 * The runtime has no Thread object for them (until one calls back), so EventPipe cannot report their creation; only
 * the preloaded creation recorder and a /proc census can. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#define TT_MAX_THREADS 64

static pthread_mutex_t tt_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t tt_changed = PTHREAD_COND_INITIALIZER;
static int tt_stopping;
static int tt_running;
static int tt_registered;
static int *tt_out_tids;
static pthread_t tt_threads[TT_MAX_THREADS];
static int tt_thread_count;
static int tt_early_index = -1;
static int tt_early_joined;

struct tt_arg {
    int index;
    int early_exit;
    char name[16];
};

static struct tt_arg tt_args[TT_MAX_THREADS];

static void *tt_thread_main(void *p)
{
    struct tt_arg *arg = (struct tt_arg *)p;
    /* Named from the thread itself so the name is set before the tid is published. */
    pthread_setname_np(pthread_self(), arg->name);
    int tid = (int)syscall(SYS_gettid);

    pthread_mutex_lock(&tt_lock);
    tt_out_tids[arg->index] = tid;
    tt_registered++;
    tt_running++;
    pthread_cond_broadcast(&tt_changed);
    pthread_mutex_unlock(&tt_lock);

    if (arg->early_exit) {
        struct timespec delay = { 0, 50 * 1000 * 1000 };
        nanosleep(&delay, NULL);
    } else {
        pthread_mutex_lock(&tt_lock);
        while (!tt_stopping)
            pthread_cond_wait(&tt_changed, &tt_lock);
        pthread_mutex_unlock(&tt_lock);
    }

    pthread_mutex_lock(&tt_lock);
    tt_running--;
    pthread_cond_broadcast(&tt_changed);
    pthread_mutex_unlock(&tt_lock);
    return NULL;
}

/* Starts `count` threads named <name_prefix><i> (cut to 15 bytes). Returns once every thread runs and has
 * written its kernel tid to out_tids[i]. Thread `early_exit_index` (-1 for none) exits after ~50 ms; the others
 * block until tt_stop_threads(). Returns the number of threads started, or -1 on error. One batch at a time. */
int tt_start_threads(int count, const char *name_prefix, int early_exit_index, int *out_tids)
{
    if (count <= 0 || count > TT_MAX_THREADS || out_tids == NULL)
        return -1;

    pthread_mutex_lock(&tt_lock);
    if (tt_thread_count != 0) {
        pthread_mutex_unlock(&tt_lock);
        return -1;
    }
    tt_stopping = 0;
    tt_registered = 0;
    tt_out_tids = out_tids;
    tt_early_index = early_exit_index;
    tt_early_joined = 0;
    pthread_mutex_unlock(&tt_lock);

    const char *prefix = name_prefix != NULL ? name_prefix : "ttnative-";
    int started = 0;
    for (int i = 0; i < count; i++) {
        struct tt_arg *arg = &tt_args[i];
        arg->index = i;
        arg->early_exit = i == early_exit_index;
        char full[64];
        snprintf(full, sizeof full, "%s%d", prefix, i);
        strncpy(arg->name, full, 15);
        arg->name[15] = '\0';
        out_tids[i] = 0;
        if (pthread_create(&tt_threads[i], NULL, tt_thread_main, arg) != 0)
            break;
        started++;
    }

    pthread_mutex_lock(&tt_lock);
    tt_thread_count = started;
    while (tt_registered < started)
        pthread_cond_wait(&tt_changed, &tt_lock);
    pthread_mutex_unlock(&tt_lock);
    return started == count ? started : -1;
}

/* Waits until the early-exit thread has ended (joined), so a caller can record it as gone. */
int tt_join_early_exit(void)
{
    pthread_mutex_lock(&tt_lock);
    int index = tt_early_index;
    int count = tt_thread_count;
    pthread_mutex_unlock(&tt_lock);
    if (index < 0 || index >= count || tt_early_joined)
        return -1;
    int rc = pthread_join(tt_threads[index], NULL);
    pthread_mutex_lock(&tt_lock);
    tt_early_joined = rc == 0;
    pthread_mutex_unlock(&tt_lock);
    return rc;
}

/* Releases the blocked threads and joins them all. */
void tt_stop_threads(void)
{
    pthread_mutex_lock(&tt_lock);
    tt_stopping = 1;
    int count = tt_thread_count;
    int early = tt_early_joined ? tt_early_index : -1;
    pthread_cond_broadcast(&tt_changed);
    pthread_mutex_unlock(&tt_lock);

    for (int i = 0; i < count; i++) {
        if (i != early)
            pthread_join(tt_threads[i], NULL);
    }

    pthread_mutex_lock(&tt_lock);
    tt_thread_count = 0;
    tt_early_index = -1;
    pthread_mutex_unlock(&tt_lock);
}

/* ---- C11 threads ---- */

static mtx_t tt_c11_lock;
static cnd_t tt_c11_changed;
static once_flag tt_c11_once = ONCE_FLAG_INIT;
static int tt_c11_stopping;
static int tt_c11_registered;
static int *tt_c11_out_tids;
static void (*tt_c11_callback)(int);
static thrd_t tt_c11_threads[TT_MAX_THREADS];
static int tt_c11_thread_count;
static struct tt_arg tt_c11_args[TT_MAX_THREADS];

static void tt_c11_init(void)
{
    mtx_init(&tt_c11_lock, mtx_plain);
    cnd_init(&tt_c11_changed);
}

static int tt_c11_thread_main(void *p)
{
    struct tt_arg *arg = (struct tt_arg *)p;
    pthread_setname_np(pthread_self(), arg->name);
    int tid = (int)syscall(SYS_gettid);
    /* early_exit is reused as "calls back": the managed callback runs on this thread before it registers, so the
     * thread has entered managed code by the time the caller sees its tid. */
    if (arg->early_exit && tt_c11_callback != NULL)
        tt_c11_callback(arg->index);

    mtx_lock(&tt_c11_lock);
    tt_c11_out_tids[arg->index] = tid;
    tt_c11_registered++;
    cnd_broadcast(&tt_c11_changed);
    while (!tt_c11_stopping)
        cnd_wait(&tt_c11_changed, &tt_c11_lock);
    mtx_unlock(&tt_c11_lock);
    return 0;
}

/* Starts `count` C11 threads with thrd_create, named <name_prefix><i> (cut to 15 bytes). Threads 0 ..
 * callback_count-1 call `callback(i)` once on themselves (a managed function pointer: the thread enters managed code)
 * before they register. Returns once every thread has written its kernel tid to out_tids[i]; they then block until
 * tt_c11_stop_threads(). Returns the number of threads started, or -1 on error. One batch at a time. */
int tt_c11_start_threads(int count, const char *name_prefix, int callback_count, void (*callback)(int), int *out_tids)
{
    if (count <= 0 || count > TT_MAX_THREADS || out_tids == NULL)
        return -1;
    call_once(&tt_c11_once, tt_c11_init);

    mtx_lock(&tt_c11_lock);
    if (tt_c11_thread_count != 0) {
        mtx_unlock(&tt_c11_lock);
        return -1;
    }
    tt_c11_stopping = 0;
    tt_c11_registered = 0;
    tt_c11_out_tids = out_tids;
    tt_c11_callback = callback;
    mtx_unlock(&tt_c11_lock);

    const char *prefix = name_prefix != NULL ? name_prefix : "ttc11-";
    int started = 0;
    for (int i = 0; i < count; i++) {
        struct tt_arg *arg = &tt_c11_args[i];
        arg->index = i;
        arg->early_exit = i < callback_count;
        char full[64];
        snprintf(full, sizeof full, "%s%d", prefix, i);
        strncpy(arg->name, full, 15);
        arg->name[15] = '\0';
        out_tids[i] = 0;
        if (thrd_create(&tt_c11_threads[i], tt_c11_thread_main, arg) != thrd_success)
            break;
        started++;
    }

    mtx_lock(&tt_c11_lock);
    tt_c11_thread_count = started;
    while (tt_c11_registered < started)
        cnd_wait(&tt_c11_changed, &tt_c11_lock);
    mtx_unlock(&tt_c11_lock);
    return started == count ? started : -1;
}

/* Releases the C11 threads and joins them all. */
void tt_c11_stop_threads(void)
{
    mtx_lock(&tt_c11_lock);
    tt_c11_stopping = 1;
    int count = tt_c11_thread_count;
    cnd_broadcast(&tt_c11_changed);
    mtx_unlock(&tt_c11_lock);

    for (int i = 0; i < count; i++)
        thrd_join(tt_c11_threads[i], NULL);

    mtx_lock(&tt_c11_lock);
    tt_c11_thread_count = 0;
    mtx_unlock(&tt_c11_lock);
}
