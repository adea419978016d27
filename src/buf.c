/* buf.c - growth and wiping for LnBuf. */
#include "config.h"

#include <glib.h>
#include "buf.h"
#include "wipe.h"

void
buf_init (LnBuf *buf, size_t cap)
{
  buf->data = g_malloc (cap ? cap : 1);
  buf->len = 0;
  buf->cap = cap ? cap : 1;
  buf->borrowed = false;
}

void
buf_borrow (LnBuf *buf, char *data, size_t cap)
{
  buf->data = data;
  buf->len = 0;
  buf->cap = cap;
  buf->borrowed = true;
}

/* Frees what @buf owns and empties it. */
static void
drop (LnBuf *buf)
{
  if (!buf->borrowed)
    g_free (buf->data);
  buf->data = NULL;
  buf->len = buf->cap = 0;
  buf->borrowed = false;
}

void
buf_clear (LnBuf *buf)
{
  if (buf->data)
    wipe_memory (buf->data, buf->cap);
  drop (buf);
}

void
buf_clear_used (LnBuf *buf, size_t used)
{
  if (buf->data)
    wipe_memory (buf->data, MIN (used, buf->cap));
  drop (buf);
}

void
buf_release (LnBuf *buf)
{
  drop (buf);
}

void
buf_grow (LnBuf *buf, size_t extra)
{
  size_t need = buf->len + extra;
  size_t cap = buf->cap ? buf->cap : 64;
  char *bigger;

  if (need < buf->len)
    g_error ("buffer size overflow");
  while (cap < need)
    cap = cap > G_MAXSIZE / 2 ? need : cap * 2;
  /* Not g_realloc: the old block may hold raw addresses and realloc would
   * free it without wiping. */
  bigger = g_malloc (cap);
  if (buf->len)
    memcpy (bigger, buf->data, buf->len);
  if (buf->data)
    wipe_memory (buf->data, buf->cap);
  drop (buf);                   /* empties it */
  buf->data = bigger;
  buf->len = need - extra;      /* what it held */
  buf->cap = cap;
}

void
buf_wipe (LnBuf *buf)
{
  if (buf->len)
    wipe_memory (buf->data, buf->len);
  buf->len = 0;
}
