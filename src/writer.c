/* writer.c - the writer registry. */
#include "config.h"

#include <string.h>
#include "writer.h"

static const LnWriterOps *const writers[] = {
  &writer_log_ops,
  &writer_csv_ops,
  &writer_jsonl_ops,
};

const LnWriterOps *
writer_lookup (const char *name)
{
  size_t i;

  for (i = 0; i < G_N_ELEMENTS (writers); i++)
    if (strcmp (writers[i]->name, name) == 0)
      return writers[i];
  return NULL;
}

void
writer_end_line (LnBuf *out, LnSpan eol)
{
  if (eol.len == 1 && eol.p[0] == '\n')
    {
      buf_append_c (out, '\n');
      return;
    }
  buf_append_span (out, eol);
  if (eol.len == 0 || eol.p[eol.len - 1] != '\n')
    buf_append_c (out, '\n');
}
