/* The plugin plugdemo loads. It needs libz (a DT_NEEDED of the plugin, not
 * of the program), so an image only works when the plugin's own closure is
 * traced too. */
#include <stdio.h>
#include <zlib.h>

const char* greet(void) {
  static char buf[128];
  const char* word = "plugin";
  snprintf(buf, sizeof buf, "hello from the plugin (crc32 %08lx)",
           (unsigned long)crc32(0L, (const unsigned char*)word, 6));
  return buf;
}
