/* corpus_replay — runs a libFuzzer target's LLVMFuzzerTestOneInput once over every file of
 * the directories (or files) named on the command line, for builds without libFuzzer. A
 * crash or a sanitizer report fails the run; exit 1 also when a path cannot be read or no
 * input was found, so an empty or misplaced corpus is not a silent pass. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Feeds one file; returns 0, or -1 when it cannot be read. */
static int s_run_file(const char *path)
{
    int rc = -1;
    uint8_t *data = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        goto cleanup;
    if (fseek(f, 0, SEEK_END) != 0)
        goto cleanup;
    long size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0)
        goto cleanup;
    data = malloc((size_t)size + 1); /* + 1: a zero-length input still gets a buffer */
    if (!data || fread(data, 1, (size_t)size, f) != (size_t)size)
        goto cleanup;
    LLVMFuzzerTestOneInput(data, (size_t)size);
    rc = 0;
cleanup:
    if (rc != 0)
        fprintf(stderr, "corpus_replay: cannot read %s\n", path);
    free(data);
    if (f)
        fclose(f);
    return rc;
}

int main(int argc, char **argv)
{
    size_t inputs = 0;
    int failed = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "corpus_replay: no such path %s\n", argv[i]);
            failed = 1;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            failed |= s_run_file(argv[i]) != 0;
            inputs++;
            continue;
        }
        DIR *dir = opendir(argv[i]);
        if (!dir) {
            failed = 1;
            continue;
        }
        struct dirent *de;
        while ((de = readdir(dir))) {
            if (de->d_name[0] == '.')
                continue;
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[i], de->d_name);
            failed |= s_run_file(path) != 0;
            inputs++;
        }
        closedir(dir);
    }
    printf("corpus_replay: %zu inputs\n", inputs);
    return failed || inputs == 0 ? 1 : 0;
}
