/* Threads: create/join, mutexes under contention, condition variables, a barrier,
   thread-local storage, semaphores, a timed wait that times out, and detached threads. */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <time.h>

#define THREADS 6
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static pthread_barrier_t barrier;
static sem_t tokens;
static __thread long mine = 100;
static long counter, turns;
static volatile int detached_done;

static void *worker(void *arg) {
    long id = (long)arg;
    mine += id;
    for (int i = 0; i < 5000; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
    }
    pthread_barrier_wait(&barrier);
    sem_wait(&tokens);
    pthread_mutex_lock(&lock);
    turns++;
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
    sem_post(&tokens);
    return (void *)mine;
}

static void *detached(void *arg) {
    detached_done = 1;
    return NULL;
}

int main(void) {
    pthread_t threads[THREADS];
    pthread_barrier_init(&barrier, NULL, THREADS);
    sem_init(&tokens, 0, 2);
    for (long i = 0; i < THREADS; i++) pthread_create(&threads[i], NULL, worker, (void *)i);
    pthread_mutex_lock(&lock);
    while (turns < THREADS) pthread_cond_wait(&changed, &lock);
    pthread_mutex_unlock(&lock);
    long sum = 0;
    for (int i = 0; i < THREADS; i++) {
        void *value;
        pthread_join(threads[i], &value);
        sum += (long)value;
    }
    printf("counter %ld turns %ld tls sum %ld main tls %ld\n", counter, turns, sum, mine);

    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_nsec += 20 * 1000 * 1000;
    if (deadline.tv_nsec >= 1000000000) { deadline.tv_sec++; deadline.tv_nsec -= 1000000000; }
    pthread_mutex_lock(&lock);
    int waited = pthread_cond_timedwait(&changed, &lock, &deadline);
    pthread_mutex_unlock(&lock);
    printf("timed wait: %s\n", waited == ETIMEDOUT ? "ETIMEDOUT" : "?");

    pthread_t loose;
    pthread_create(&loose, NULL, detached, NULL);
    pthread_detach(loose);
    while (!detached_done) sched_yield();
    printf("detached thread ran\n");
    return 0;
}
