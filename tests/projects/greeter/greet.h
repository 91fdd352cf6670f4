#ifndef GREET_H
#define GREET_H
/* A shared library's interface: what the test executable links against. */
const char *greet(const char *name);
long triangle(long n);
#endif
