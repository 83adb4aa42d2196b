/* Which sanitizer a test was built with, for the few tests that cannot run
 * under one. */
#ifndef PF_TEST_SANITIZERS_H
#define PF_TEST_SANITIZERS_H

/* AddressSanitizer and ThreadSanitizer replace malloc themselves and
 * allocate from inside their own runtimes, from before main: a test's own
 * counting malloc can neither run first nor count only the code under
 * test. (gcc says so with __SANITIZE_*__, clang with __has_feature.) */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define PF_TEST_SANITIZER_OWNS_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define PF_TEST_SANITIZER_OWNS_MALLOC 1
#endif
#endif

/* ThreadSanitizer slows every memory access several times over: a bar on
 * time means nothing under it. */
#if defined(__SANITIZE_THREAD__)
#define PF_TEST_THREAD_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PF_TEST_THREAD_SANITIZER 1
#endif
#endif

#endif
