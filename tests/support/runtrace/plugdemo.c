/* A program whose plugin no ELF tracer can see: it reads the plugin's path
 * from a config file (argv[1]) and dlopen()s it, like OpenSSL providers or
 * NSS modules. Used by tests/integration/test_runtrace_plugin.sh. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: plugdemo CONFIG\n");
    return 2;
  }
  FILE* f = fopen(argv[1], "r");
  if (!f) {
    perror(argv[1]);
    return 1;
  }
  char line[4096] = "";
  char plugin[4096] = "";
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "plugin=", 7) == 0) {
      strncpy(plugin, line + 7, sizeof plugin - 1);
      plugin[strcspn(plugin, "\r\n")] = '\0';
    }
  fclose(f);
  if (!plugin[0]) {
    fprintf(stderr, "%s: no plugin= line\n", argv[1]);
    return 1;
  }
  void* h = dlopen(plugin, RTLD_NOW);
  if (!h) {
    fprintf(stderr, "cannot load plugin: %s\n", dlerror());
    return 1;
  }
  const char* (*greet)(void) = (const char* (*)(void))dlsym(h, "greet");
  if (!greet) {
    fprintf(stderr, "plugin has no greet(): %s\n", dlerror());
    return 1;
  }
  printf("%s\n", greet());
  return 0;
}
