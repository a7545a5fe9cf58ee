/* Shared by the libFuzzer targets in this directory (see README). */
#ifndef HUSK_TESTS_FUZZ_H
#define HUSK_TESTS_FUZZ_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/error.h"

/* libFuzzer's entry points, which each target defines (Initialize only where it needs one):
 * declared once here, since a prototype belongs in a header (tests/helpers/lint). */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The contract every parser keeps on bad input (issue 14): a failure comes with one message
 * that names the fault, on one line, a success with none.  A broken contract is a crash for
 * libFuzzer. */
static inline void fuzz_check_result(int r, struct rt_error *err)
{
	/* HUSK_FUZZ_VERBOSE=1: say how each input ended (to see how deep a seed gets) */
	if (getenv("HUSK_FUZZ_VERBOSE"))
		fprintf(stderr, "fuzz: %s\n", r < 0 && err->msg ? err->msg : "accepted");
	if (r < 0 && (err->msg == NULL || err->msg[0] == '\0')) {
		fprintf(stderr, "fuzz: failure (%d) without a message\n", r);
		abort();
	}
	if (r < 0 && strpbrk(err->msg, "\n\r\x1b") != NULL) {
		fprintf(stderr, "fuzz: the message is not one line: %s\n", err->msg);
		abort();
	}
	if (r >= 0 && err->msg != NULL) {
		fprintf(stderr, "fuzz: success with a stale message: %s\n", err->msg);
		abort();
	}
	rt_error_release(err);
}

static inline int fuzz_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path) < 0 ? -1 : 0;
	return unlink(path) < 0 ? -1 : 0;
}

/* A private scratch directory under /tmp (or $TMPDIR); NULL only when the disk is full. */
static inline char *fuzz_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *path = NULL;

	if (asprintf(&path, "%s/husk-fuzz.XXXXXX", base && *base ? base : "/tmp") < 0)
		abort();
	if (mkdtemp(path) == NULL) {
		perror("fuzz: mkdtemp");
		abort();
	}
	return path;
}

/* Remove what a target wrote (depth first, never following links out of the tree); a tree
 * that cannot be removed is a finding too, as the unpacker must leave nothing it cannot
 * clean. */
static inline void fuzz_tmpdir_remove(char *path)
{
	if (nftw(path, fuzz_rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0) {
		perror("fuzz: remove scratch directory");
		abort();
	}
	free(path);
}

/* A fuzzer cannot keep tar header checksums right, and both tar readers (libarchive and
 * images/source.c) stop at the first bad one, so the targets that take tars rewrite the
 * checksum of every header they find (the headers follow the sizes in octal, as the readers
 * do) before handing the bytes over.  Compressed input passes unchanged. */
static inline void fuzz_tar_fix_checksums(uint8_t *buf, size_t len)
{
	size_t off = 0;

	while (len >= 512 && off <= len - 512) {
		uint8_t *h = buf + off;
		unsigned sum = 0;
		uint64_t size = 0;
		int zero = 1;

		for (int i = 0; i < 512; i++)
			zero &= h[i] == 0;
		if (zero)
			return;
		for (int i = 0; i < 512; i++)
			sum += (i >= 148 && i < 156) ? ' ' : h[i];
		snprintf((char *)h + 148, 8, "%06o", sum & 0777777);
		h[155] = ' ';
		for (int i = 124; i < 136 && h[i] >= '0' && h[i] <= '7'; i++)
			size = size * 8 + (uint64_t)(h[i] - '0');
		if (size > len)
			return;
		off += 512 + ((size + 511) & ~(uint64_t)511);
	}
}

/* An import that failed half-way must leave nothing in the store's tmp/ (layers it finished
 * stay, verified, as images/pool.h says; their half-written siblings must not). */
static inline void fuzz_check_store_tmp(const char *store)
{
	char *tmp = NULL;
	struct dirent *e;
	DIR *d;

	if (asprintf(&tmp, "%s/tmp", store) < 0 || (d = opendir(tmp)) == NULL)
		abort();
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
			fprintf(stderr, "fuzz: left behind in the store: tmp/%s\n", e->d_name);
			abort();
		}
	}
	closedir(d);
	free(tmp);
}

/* The directory dirfd holds nothing but `name` (what an unpacker wrote stayed inside it). */
static inline void fuzz_check_only_entry(int dirfd, const char *name)
{
	int fd = dup(dirfd);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *e;

	if (d == NULL)
		abort();
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
		    strcmp(e->d_name, name) != 0) {
			fprintf(stderr, "fuzz: written outside `%s`: %s\n", name, e->d_name);
			abort();
		}
	}
	closedir(d);
}

#endif
