# Writes the accept benchmarks' multipart body (model, prompt, bench/edit-48k.png) to $1 with boundary $2 (source it).
write_accept_body() {
    {
        printf -- '--%s\r\nContent-Disposition: form-data; name="model"\r\n\r\nqwen/qwen-image-edit\r\n' "$2"
        printf -- '--%s\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nTurn this scene into a watercolor painting\r\n' "$2"
        printf -- '--%s\r\nContent-Disposition: form-data; name="image"; filename="edit-48k.png"\r\nContent-Type: image/png\r\n\r\n' "$2"
        cat "$BENCH_ROOT/bench/edit-48k.png"
        printf -- '\r\n--%s--\r\n' "$2"
    } >"$1"
}
