/* Cpu and memory-node lists as the kernel and the OCI spec write them: "0-3,7".  One parser
 * for the syntax; the bounds are the caller's (an affinity mask, cpuset's, the spec's int). */
#ifndef HUSK_COMMON_CPULIST_H
#define HUSK_COMMON_CPULIST_H

struct rt_cpulist {
	const char *pos;
	int n; /* ranges read so far */
};
#define RT_CPULIST(list) ((struct rt_cpulist){.pos = (list), .n = 0})

/* The next range: 1 with *ret_first..*ret_last (*ret_last below *ret_first when the list says
 * so: the caller decides), 0 at the end of the list, -1 where it is not a list of decimal
 * numbers and ranges separated by single commas (a sign, a space, an empty item, a trailing
 * comma, a number past ULONG_MAX).  A list the kernel wrote ends in "\n": a reader that only
 * looks for ranges may stop at the -1. */
int rt_cpulist_next(struct rt_cpulist *it, unsigned long *ret_first, unsigned long *ret_last);

#endif
