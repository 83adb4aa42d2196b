/* clash.h - a library that defines a name pfipc's dependencies import
 * (Capstone's cs_open): pfwrap must refuse to wrap that one. */
int cs_open(int arch, int mode, void *handle);
int clash_fine(int x);
