/* fs_server.c - the "fs" server: files kept in the server process's memory.
 *
 * pfidl wrote fs_server.h (these prototypes) and fs_exports.c (which exports
 * them); this file only implements them. None of the exports is reentrant,
 * so calls arrive one at a time and the tables need no lock. Every pointer
 * argument is a buffer pfipc copied: the server never reads client memory.
 */
#include <errno.h>
#include <string.h>

#include "fs_server.h"

#define MAX_FILES 16
#define MAX_FDS 32
#define FILE_CAP 8192

struct file {
	bool used;
	char name[65];          /* fs.pfidl: path max 64 */
	size_t size;
	unsigned opens;
	char data[FILE_CAP];
};

struct fd {
	struct file *file;      /* NULL: the descriptor is free */
	size_t pos;
};

static struct file files[MAX_FILES];
static struct fd fds[MAX_FDS];

static struct file *file_find(const char *name)
{
	for (int i = 0; i < MAX_FILES; i++)
		if (files[i].used && strcmp(files[i].name, name) == 0)
			return &files[i];
	return NULL;
}

static struct file *file_create(const char *name)
{
	for (int i = 0; i < MAX_FILES; i++) {
		if (!files[i].used) {
			memset(&files[i], 0, sizeof(files[i]));
			files[i].used = true;
			strcpy(files[i].name, name);
			return &files[i];
		}
	}
	return NULL;
}

static struct fd *fd_get(int fd)
{
	if (fd < 0 || fd >= MAX_FDS || !fds[fd].file)
		return NULL;
	return &fds[fd];
}

int fs_open_impl(const char *path, size_t path_len, bool create)
{
	char name[65];

	/* The path is not NUL-terminated: its length is part of the call. */
	if (path_len == 0 || memchr(path, '\0', path_len))
		return -EINVAL;
	memcpy(name, path, path_len);
	name[path_len] = '\0';
	struct file *f = file_find(name);
	if (!f && !create)
		return -ENOENT;
	if (!f && !(f = file_create(name)))
		return -ENOSPC;
	for (int fd = 0; fd < MAX_FDS; fd++) {
		if (!fds[fd].file) {
			fds[fd] = (struct fd){ f, 0 };
			f->opens++;
			return fd;
		}
	}
	return -EMFILE;
}

long fs_read_impl(int fd, char *buf, size_t len)
{
	struct fd *d = fd_get(fd);

	if (!d)
		return -EBADF;
	size_t left = d->file->size > d->pos ? d->file->size - d->pos : 0;
	size_t n = len < left ? len : left;
	memcpy(buf, d->file->data + d->pos, n);
	d->pos += n;
	return (long)n;
}

long fs_write_impl(int fd, const char *buf, size_t len)
{
	struct fd *d = fd_get(fd);

	if (!d)
		return -EBADF;
	if (d->pos + len > FILE_CAP)
		return -EFBIG;
	memcpy(d->file->data + d->pos, buf, len);
	d->pos += len;
	if (d->pos > d->file->size)
		d->file->size = d->pos;
	return (long)len;
}

long fs_seek_impl(int fd, long offset)
{
	struct fd *d = fd_get(fd);

	if (!d)
		return -EBADF;
	if (offset < 0 || offset > FILE_CAP)
		return -EINVAL;
	d->pos = (size_t)offset;
	return offset;
}

struct fs_stat fs_fstat_impl(int fd)
{
	struct fd *d = fd_get(fd);

	if (!d)
		return (struct fs_stat){ 0, 0, 0 };
	return (struct fs_stat){
		.size = d->file->size,
		.ino = (uint32_t)(d->file - files),
		.opens = d->file->opens,
	};
}

int fs_close_impl(int fd)
{
	struct fd *d = fd_get(fd);

	if (!d)
		return -EBADF;
	d->file->opens--;
	d->file = NULL;
	return 0;
}
