// cxx_deleter.cc — a C++ deleter for the symbolization tests (built by the test itself):
//     cxx_deleter NAME   removes the POSIX shared-memory object NAME
// through svc::Store::drop, which calls an always-inlined helper: the report's stack must show
// the helper as its own inlined frame above svc::Store::drop(char const*). The "line:" comments
// mark the lines the test expects.
#include <sys/mman.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace svc {

static inline __attribute__((always_inline)) int remove_backing(const char *name)
{
    return shm_unlink(name); // line:unlink
}

class Store {
  public:
    __attribute__((noinline)) int drop(const char *name);
    unsigned dropped = 0;
};

int Store::drop(const char *name)
{
    int rc = remove_backing(name); // line:inlined-call
    if (rc == 0)
        dropped++; // work after the call: the call stays a call, not a jump
    return rc;
}

} // namespace svc

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    svc::Store store;
    if (store.drop(argv[1]) != 0) { // line:drop-call
        std::fprintf(stderr, "cxx_deleter: %s: %s\n", argv[1], std::strerror(errno));
        return 1;
    }
    std::printf("dropped %u\n", store.dropped);
    return 0;
}
