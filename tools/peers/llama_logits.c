// llama_logits: greedy decoding with llama.cpp that dumps the logits of every step.
//
// Linked against the prebuilt shared libraries of npm's node-llama-cpp (the
// same kernels its Node API and our llama-bench build use), so the numbers are
// llama.cpp's own. Build and usage: see README.md in this folder.
//
//   llama_logits MODEL.gguf IDS STEPS THREADS OUT.f32 [fa=auto|on|off]
//
// IDS is the prompt as comma-separated token ids, used exactly (no BOS added).
// The prompt runs as one batch with logits for every position; then STEPS-1
// single-token decodes follow, each feeding the argmax of the previous logits.
// OUT.f32 gets raw little-endian float32 logits [P + STEPS - 1, n_vocab]:
// row r holds the logits after position r, i.e. rows 0..P-1 are the prompt's
// positions and row P-1+k is greedy step k (k = 0..STEPS-1). That is the
// same layout `chatumm logits --ids PROMPT+CONTINUATION[:-1]` writes, so the
// two files compare row by row. stdout gets one JSON line with the greedy
// tokens and the settings llama.cpp resolved.
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ggml-backend.h"
#include "llama.h"

static void quiet_log(enum ggml_log_level level, const char *text, void *user) {
    (void)user;
    if (level >= GGML_LOG_LEVEL_WARN) fputs(text, stderr);
}

static bool no_progress(float progress, void *user) {
    (void)progress;
    (void)user;
    return true; // keep loading, print nothing
}

// With LLAMA_LOGITS_DUMP=DIR, every F32 tensor the graph computes is written to
// DIR/NAME.f32 (later decodes overwrite earlier ones, so use it with STEPS=1) and
// listed with its ggml shape in DIR/index.txt: llama.cpp's intermediates, to find
// the first op where another implementation parts from it.
static const char *dump_dir;

static bool dump_tensor(struct ggml_tensor *t, bool ask, void *user) {
    (void)user;
    if (ask) return true; // yes, call again with the result of every node
    if (t->type != GGML_TYPE_F32 || !ggml_is_contiguous(t)) return true;
    char name[1024];
    snprintf(name, sizeof name, "%s/%s.f32", dump_dir, t->name);
    for (char *c = name + strlen(dump_dir) + 1; *c; c++)
        if (*c == '/' || *c == ' ') *c = '_';
    FILE *f = fopen(name, "wb");
    if (f) {
        fwrite(t->data, 1, ggml_nbytes(t), f);
        fclose(f);
    }
    snprintf(name, sizeof name, "%s/index.txt", dump_dir);
    if ((f = fopen(name, "a"))) {
        fprintf(f, "%s %s %lld %lld %lld %lld\n", t->name, ggml_op_desc(t), (long long)t->ne[0], (long long)t->ne[1],
                (long long)t->ne[2], (long long)t->ne[3]);
        fclose(f);
    }
    return true;
}

static int argmax(const float *x, int n) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[best]) best = i; // first index wins ties, like numpy.argmax
    return best;
}

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: %s MODEL.gguf IDS STEPS THREADS OUT.f32 [fa=auto|on|off]\n", argv[0]);
        return 2;
    }
    const char *path = argv[1], *out_path = argv[5];
    int steps = atoi(argv[3]), threads = atoi(argv[4]);
    enum llama_flash_attn_type fa = LLAMA_FLASH_ATTN_TYPE_AUTO;
    if (argc > 6 && strcmp(argv[6], "on") == 0) fa = LLAMA_FLASH_ATTN_TYPE_ENABLED;
    if (argc > 6 && strcmp(argv[6], "off") == 0) fa = LLAMA_FLASH_ATTN_TYPE_DISABLED;

    // parse the prompt ids
    int cap = 16, n_prompt = 0;
    llama_token *ids = malloc(sizeof(llama_token) * cap);
    for (char *s = strtok(argv[2], ","); s; s = strtok(NULL, ",")) {
        char *end;
        long v = strtol(s, &end, 10);
        if (*end != '\0' || v < 0) {
            fprintf(stderr, "IDS: %s is not a token id\n", s);
            return 2;
        }
        if (n_prompt == cap) ids = realloc(ids, sizeof(llama_token) * (cap *= 2));
        ids[n_prompt++] = (llama_token)v;
    }
    if (n_prompt == 0 || steps < 1 || threads < 1) {
        fprintf(stderr, "need a non-empty IDS, STEPS >= 1, THREADS >= 1\n");
        return 2;
    }

    llama_log_set(quiet_log, NULL);
    ggml_backend_load_all(); // the CPU variant (zen4 here) is picked from the working directory
    llama_backend_init();

    struct llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = 0;
    mp.load_mode = LLAMA_LOAD_MODE_NONE; // read into memory; numerics do not depend on it
    mp.progress_callback = no_progress;
    struct llama_model *model = llama_model_load_from_file(path, mp);
    if (!model) {
        fprintf(stderr, "%s: llama.cpp could not load the model\n", path);
        return 1;
    }
    const int n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(model));
    for (int i = 0; i < n_prompt; i++)
        if (ids[i] >= n_vocab) {
            fprintf(stderr, "IDS: token id %d is outside the vocabulary of %d\n", ids[i], n_vocab);
            return 2;
        }

    const int n_rows = n_prompt + steps - 1;
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = (uint32_t)(n_rows + 16);
    cp.n_batch = cp.n_ubatch = (uint32_t)(n_prompt > 512 ? n_prompt : 512);
    cp.n_threads = cp.n_threads_batch = threads;
    cp.flash_attn_type = fa;
    cp.no_perf = true;
    if ((dump_dir = getenv("LLAMA_LOGITS_DUMP"))) {
        cp.cb_eval = dump_tensor; // the tensors are on the CPU backend, so t->data is readable
        cp.cb_eval_user_data = NULL;
    }
    struct llama_context *ctx = llama_init_from_model(model, cp);
    if (!ctx) {
        fprintf(stderr, "%s: llama.cpp could not create a context\n", path);
        return 1;
    }

    float *all = malloc(sizeof(float) * (size_t)n_rows * n_vocab);
    int *gen = malloc(sizeof(int) * steps);

    // the prompt in one batch, logits for every position
    struct llama_batch b = llama_batch_init(n_prompt, 0, 1);
    for (int i = 0; i < n_prompt; i++) {
        b.token[i] = ids[i];
        b.pos[i] = i;
        b.n_seq_id[i] = 1;
        b.seq_id[i][0] = 0;
        b.logits[i] = 1;
    }
    b.n_tokens = n_prompt;
    if (llama_decode(ctx, b) != 0) {
        fprintf(stderr, "llama_decode failed on the prompt\n");
        return 1;
    }
    for (int i = 0; i < n_prompt; i++)
        memcpy(all + (size_t)i * n_vocab, llama_get_logits_ith(ctx, i), sizeof(float) * n_vocab);
    gen[0] = argmax(all + (size_t)(n_prompt - 1) * n_vocab, n_vocab);

    // greedy steps, one token per decode
    for (int k = 1; k < steps; k++) {
        int pos = n_prompt + k - 1;
        b.token[0] = gen[k - 1];
        b.pos[0] = pos;
        b.n_seq_id[0] = 1;
        b.seq_id[0][0] = 0;
        b.logits[0] = 1;
        b.n_tokens = 1;
        if (llama_decode(ctx, b) != 0) {
            fprintf(stderr, "llama_decode failed at position %d\n", pos);
            return 1;
        }
        float *row = all + (size_t)pos * n_vocab;
        memcpy(row, llama_get_logits_ith(ctx, 0), sizeof(float) * n_vocab);
        gen[k] = argmax(row, n_vocab);
    }

    FILE *f = fopen(out_path, "wb");
    if (!f || fwrite(all, sizeof(float), (size_t)n_rows * n_vocab, f) != (size_t)n_rows * n_vocab || fclose(f) != 0) {
        fprintf(stderr, "%s: cannot write the logits\n", out_path);
        return 1;
    }

    printf("{\"model\": \"%s\", \"n_vocab\": %d, \"n_prompt\": %d, \"steps\": %d, \"threads\": %d, "
           "\"flash_attn\": \"%s\", \"system_info\": \"%s\", \"greedy\": [",
           path, n_vocab, n_prompt, steps, threads, llama_flash_attn_type_name(fa), llama_print_system_info());
    for (int k = 0; k < steps; k++) printf("%s%d", k ? ", " : "", gen[k]);
    printf("]}\n");

    llama_batch_free(b);
    free(all);
    free(gen);
    free(ids);
    llama_free(ctx);
    llama_model_free(model);
    llama_backend_free();
    return 0;
}
