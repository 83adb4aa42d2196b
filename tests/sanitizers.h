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

/* A function whose fault is the point of the test (a wild store, a stack
 * overflow): not instrumented by ThreadSanitizer at all. A store would be
 * recorded before it faults, so two threads faulting at one address look
 * like a race; and an overflow that lands inside the sanitizer's runtime,
 * unwound by crash containment's longjmp, leaves its locks held and its
 * trace half written (the program later hangs or crashes in it). gcc's
 * no_sanitize("thread") drops every hook; clang's keeps the function entry
 * and exit hooks, which disable_sanitizer_instrumentation drops too. */
#if defined(__clang__) && defined(__has_attribute)
#if __has_attribute(disable_sanitizer_instrumentation)
#define PF_TEST_NOT_INSTRUMENTED __attribute__((disable_sanitizer_instrumentation))
#endif
#endif
#ifndef PF_TEST_NOT_INSTRUMENTED
#define PF_TEST_NOT_INSTRUMENTED __attribute__((no_sanitize("thread")))
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
