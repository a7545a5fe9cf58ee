/* The overlay mount of a bundle: the image's layers as lowerdirs, a private upper and work. */
#ifndef HUSK_IMAGES_OVERLAY_H
#define HUSK_IMAGES_OVERLAY_H

#include <stddef.h>

#include "../common/error.h"

/* Mount an overlay on the directory targetfd (an O_PATH fd; the mount goes onto that very
 * directory, not onto a path that could be swapped).  lowers: absolute, top layer first.
 * With the new mount API each lower is passed alone ("lowerdir+", kernel 6.8+), so any number
 * fits (overlayfs's own limit is 500); otherwise short_lowers (names of short symlinks to the
 * same dirs, relative to shortdirfd) are joined into the one-page lowerdir= option of
 * mount(2), which holds ~230 of them. */
int img_overlay_mount(const char *const *lowers, int shortdirfd, const char *const *short_lowers,
		      size_t n, const char *upper, const char *work, int targetfd,
		      struct rt_error *err);

#endif
