/* catalogue_command — `owctl catalogue import|export|show` (docs/intake.md "Catalogue"):
 * several requests to the gateway each, so they are not one owctl_request_t.
 *
 * import reads FILE (JSON or the CSV layout of catalogue_csv.h), begins a staged import,
 * sends the items in chunks (a progress bar on stderr when it is a terminal, a line per chunk
 * otherwise), commits — all or nothing, or with --partial only the good rows — and prints
 * every problem as "row N, FIELD: message", the rows and columns of the file. */
#ifndef OWCTL_CATALOGUE_COMMAND_H
#define OWCTL_CATALOGUE_COMMAND_H

#include "command_line.h"
#include "gateway_client.h"

/* Runs cmd (a OWCTL_CATALOGUE_* verb) against client. Returns the exit status
 * (command_line.h): OK, REFUSED (a problem in the file or the gateway's refusal, reported on
 * stderr), UNREACHABLE, USAGE (the file cannot be read). */
int catalogue_command_run(const owctl_command_t *cmd, gateway_client_t *client);

/* Splits n items into chunks of at most max_items whose JSON texts add up to at most
 * max_bytes (one item larger than that is a chunk of its own): writes the index after each
 * chunk into ends (n entries at most) and returns the number of chunks. Plain function. */
size_t catalogue_command_chunks(const json_t *items, size_t max_items, size_t max_bytes,
                                size_t *ends);

#endif
