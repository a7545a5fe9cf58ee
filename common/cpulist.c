#include "cpulist.h"

#include <errno.h>
#include <stdlib.h>

static int number(const char **pos, unsigned long *ret)
{
	char *end;

	/* strtoul alone would take a sign or leading blanks */
	if (**pos < '0' || **pos > '9')
		return -1;
	errno = 0;
	*ret = strtoul(*pos, &end, 10);
	if (errno)
		return -1;
	*pos = end;
	return 0;
}

int rt_cpulist_next(struct rt_cpulist *it, unsigned long *ret_first, unsigned long *ret_last)
{
	const char *p = it->pos;

	if (*p == '\0')
		return 0;
	if (it->n > 0 && *p++ != ',')
		return -1;
	if (number(&p, ret_first) < 0)
		return -1;
	*ret_last = *ret_first;
	if (*p == '-') {
		p++;
		if (number(&p, ret_last) < 0)
			return -1;
	}
	it->pos = p;
	it->n++;
	return 1;
}
