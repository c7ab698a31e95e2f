/* libwork: the library of the sample project case 0951 builds with each build system. */
#ifndef WORK_H
#define WORK_H
long work_spin(long n);
#endif
