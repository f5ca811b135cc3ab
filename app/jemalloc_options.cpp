// jemalloc settings baked into tallyd (linked only when tallyd uses jemalloc; MALLOC_CONF still overrides).
// background_thread: freed pages go back to the OS on a timer, not only when this arena allocates again, so
// the memory of passivated user actors is returned even when the server is idle (bench/memory.sh).
extern "C" {
// NOLINTNEXTLINE: jemalloc reads this exact global name at start-up.
const char* malloc_conf = "background_thread:true";
}
