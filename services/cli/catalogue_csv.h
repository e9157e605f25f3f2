/* catalogue_csv — the catalogue (事项实施清单) as a CSV file a clerk edits in a spreadsheet
 * (docs/intake.md "CSV layout"), to and from the API's JSON items (CatalogueItem).
 *
 * One row per material; an item is the run of consecutive rows with the same impl_code. The
 * item's columns are read from its first row; on the following rows they may be left empty or
 * repeat the first row's values (export repeats them, so the rows sort and filter). An item
 * without materials is one row with the material columns empty. Row numbers are the
 * spreadsheet's: the header is row 1. The reader takes RFC 4180 quoting (commas, quotes and
 * newlines inside quoted fields), CRLF or LF, a UTF-8 byte-order mark, and skips empty rows.
 *
 * Plain functions: no I/O. */
#ifndef OWCTL_CATALOGUE_CSV_H
#define OWCTL_CATALOGUE_CSV_H

#include <stddef.h>
#include <jansson.h>

/* The header export writes and import reads (any order; every column required). */
extern const char *const catalogue_csv_columns[];

/* Reads CSV text (len bytes). On success returns 0 and three new arrays:
 *   *items     the items that could be read, as API JSON objects;
 *   *rows      for each of *items: {"row": first row, "materials": [row of each material]};
 *   *problems  {"row", "field" (a column name), "message"} for each cell that cannot be read
 *              (its item is left out of *items).
 * Returns -1 with msg (size bytes) when the text is not a catalogue at all: not UTF-8, a
 * quote never closed, a missing or unknown column; nothing is allocated then. */
int catalogue_csv_read(const char *text, size_t len, json_t **items, json_t **rows,
                       json_t **problems, char *msg, size_t size);

/* The CSV text of items (API JSON objects), header first, CRLF line ends, fields quoted when
 * they hold a comma, quote or line break. Returns a string the caller frees, or NULL when out
 * of memory. */
char *catalogue_csv_write(const json_t *items);

/* Maps a problem the service found in an item read from CSV (its field in API terms, e.g.
 * "materials[2].form", "fee_cents") to the spreadsheet: *row (rowinfo is the item's entry of
 * *rows) and the column name into column (size bytes). */
void catalogue_csv_locate(const json_t *rowinfo, const char *field, int *row, char *column,
                          size_t size);

#endif
