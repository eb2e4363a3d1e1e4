// LayerCache through its API: keys cover every input and setting, the
// file-hash index is used only for files that did not change, entries are
// verified on fetch, and the size bound evicts the least recently used.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include <slimbuild/layer/layer_cache.hpp>
#include <slimbuild/layer/layer_writer.hpp>
#include <slimbuild/util/sha256.hpp>

#include "unit/test_layer_support.hpp"

using namespace layer_test;
using slimbuild::layer::LayerCache;
using slimbuild::layer::LayerOptions;
using slimbuild::layer::LayerResult;

namespace {

struct Fixture {
  slimbuild::util::TempDir tmp{"cache-test"};
  fs::path cache_dir = tmp.path() / "cache";
  Rootfs rootfs;
  Fixture() {
    write_text(tmp.path() / "src/a.txt", "alpha\n");
    write_text(tmp.path() / "src/b.bin", std::string(200000, 'b'));
    rootfs.add(file_from("/a.txt", tmp.path() / "src/a.txt"));
    rootfs.add(file_from("/b.bin", tmp.path() / "src/b.bin"));
    rootfs.add(generated("/etc/hostname", "h\n"));
  }
  // Writes the layer and stores it; returns the key.
  std::string build_and_store(LayerCache& cache, const LayerOptions& opt, const std::string& name) {
    fs::path blob = tmp.path() / name;
    LayerOptions written = opt;
    written.part_hashes = true;  // as the build does when the cache is on
    LayerResult r = slimbuild::layer::write_layer(rootfs, blob, written);
    std::string key = cache.key_from(rootfs, opt, r.file_sha256);
    cache.store(key, blob, r);
    cache.remember(rootfs, r.file_sha256);
    return key;
  }
};

}  // namespace

TEST_CASE("layer cache: the key changes with content, metadata and settings", "[cache]") {
  Fixture f;
  LayerCache cache(f.cache_dir);
  std::map<std::string, std::string> h;
  LayerOptions opt;
  auto k1 = cache.key(f.rootfs, opt, h);
  REQUIRE(k1);
  CHECK(h.size() == 3);
  CHECK(h.at("/a.txt") == slimbuild::util::sha256_hex("alpha\n"));
  std::map<std::string, std::string> h2;
  CHECK(cache.key(f.rootfs, opt, h2) == k1);  // stable

  LayerOptions later = opt;
  later.mtime = 1;
  CHECK(cache.key_from(f.rootfs, later, h) != *k1);
  LayerOptions zstd = opt;
  zstd.compression.algorithm = slimbuild::layer::Algorithm::Zstd;
  CHECK(cache.key_from(f.rootfs, zstd, h) != *k1);
  LayerOptions level = opt;
  level.compression.level = 9;
  CHECK(cache.key_from(f.rootfs, level, h) != *k1);
  LayerOptions threads = opt;
  threads.compression.threads = 7;  // never shapes the bytes
  CHECK(cache.key_from(f.rootfs, threads, h) == *k1);

  Rootfs moded;
  moded.add(file_from("/a.txt", f.tmp.path() / "src/a.txt", 0600));
  moded.add(file_from("/b.bin", f.tmp.path() / "src/b.bin"));
  moded.add(generated("/etc/hostname", "h\n"));
  CHECK(cache.key_from(moded, opt, h) != *k1);

  write_text(f.tmp.path() / "src/a.txt", "alphA\n");  // same size, new content
  std::map<std::string, std::string> h3;
  auto k3 = cache.key(f.rootfs, opt, h3);
  REQUIRE(k3);
  CHECK(*k3 != *k1);
}

TEST_CASE("layer cache: a stored layer comes back verified; a corrupt one never does", "[cache]") {
  Fixture f;
  LayerCache cache(f.cache_dir);
  LayerOptions opt;
  std::string key = f.build_and_store(cache, opt, "l1");
  auto hit = cache.fetch(key, f.tmp.path() / "got");
  REQUIRE(hit);
  CHECK(hit->digest == "sha256:" + sha256sum(f.tmp.path() / "got"));
  CHECK(hit->media_type == "application/vnd.oci.image.layer.v1.tar+gzip");
  CHECK(read_bytes(f.tmp.path() / "got") == read_bytes(f.tmp.path() / "l1"));
  CHECK_FALSE(cache.fetch(std::string(64, '0'), f.tmp.path() / "none"));
  CHECK_FALSE(fs::exists(f.tmp.path() / "none"));

  // Flip one byte of the cached blob (a copy, not the hard link we made).
  fs::path blob = f.cache_dir / "entries" / (key + ".blob");
  std::string bytes = read_bytes(blob);
  bytes[bytes.size() / 2] ^= 1;
  fs::remove(blob);
  write_text(blob, bytes);
  CHECK_FALSE(cache.fetch(key, f.tmp.path() / "bad"));
  CHECK_FALSE(fs::exists(f.tmp.path() / "bad"));
  CHECK_FALSE(fs::exists(blob));  // the bad entry is gone
  CHECK_FALSE(fs::exists(f.cache_dir / "entries" / (key + ".json")));
}

TEST_CASE("layer cache: a layer hashed while written is stored without a read, and still checked", "[cache]") {
  Fixture f;
  LayerCache cache(f.cache_dir);
  LayerOptions opt;
  opt.part_hashes = true;
  const fs::path blob = f.tmp.path() / "l1";
  LayerResult r = slimbuild::layer::write_layer(f.rootfs, blob, opt);
  REQUIRE(r.part_sha256.size() == 1);  // a small layer: one short part
  CHECK(r.part_sha256[0] == sha256sum(blob));
  CHECK(r.digest == "sha256:" + sha256sum(blob));
  std::string key = cache.key_from(f.rootfs, opt, r.file_sha256);
  const fs::path record = f.cache_dir / "entries" / (key + ".json");

  SECTION("intact: the record holds the write's part hashes, and a hit serves it") {
    cache.store(key, blob, r);
    auto j = nlohmann::json::parse(read_bytes(record));
    CHECK(j.at("parts") == nlohmann::json(r.part_sha256));
    auto hit = cache.fetch(key, f.tmp.path() / "got");
    REQUIRE(hit);
    CHECK(hit->digest == r.digest);
    CHECK(read_bytes(f.tmp.path() / "got") == read_bytes(blob));
  }
  SECTION("changed in place after it was written: stored as written, never served") {
    std::string bytes = read_bytes(blob);
    bytes[bytes.size() / 2] ^= 1;
    {
      std::fstream io(blob, std::ios::binary | std::ios::in | std::ios::out);
      io.seekp(static_cast<std::streamoff>(bytes.size() / 2));
      io.put(bytes[bytes.size() / 2]);
    }
    cache.store(key, blob, r);
    CHECK(fs::exists(record));  // nothing was read back to notice
    CHECK_FALSE(cache.fetch(key, f.tmp.path() / "bad"));
    CHECK_FALSE(fs::exists(f.tmp.path() / "bad"));
    CHECK_FALSE(fs::exists(record));
  }
  SECTION("cut short after it was written: not stored at all") {
    fs::resize_file(blob, r.size - 1);
    cache.store(key, blob, r);
    CHECK_FALSE(fs::exists(record));
    CHECK_FALSE(fs::exists(f.cache_dir / "entries" / (key + ".blob")));
  }
}

TEST_CASE("layer cache: a digest check started early still guards what is served", "[cache]") {
  Fixture f;
  LayerCache cache(f.cache_dir);
  LayerOptions opt;
  std::string key = f.build_and_store(cache, opt, "l1");
  fs::path blob = f.cache_dir / "entries" / (key + ".blob");
  const std::string good = read_bytes(blob);

  SECTION("the expected entry, intact: a hit with the right bytes") {
    cache.prefetch(key);
    auto hit = cache.fetch(key, f.tmp.path() / "got");
    REQUIRE(hit);
    CHECK(read_bytes(f.tmp.path() / "got") == good);
  }
  SECTION("the expected entry, corrupted in place: detected, not served") {
    std::string bytes = good;
    bytes[bytes.size() / 3] ^= 1;
    { std::ofstream(blob, std::ios::binary | std::ios::in | std::ios::out) << bytes; }  // the same inode
    cache.prefetch(key);
    CHECK_FALSE(cache.fetch(key, f.tmp.path() / "bad"));
    CHECK_FALSE(fs::exists(f.tmp.path() / "bad"));
    CHECK_FALSE(fs::exists(blob));
  }
  SECTION("deferred: the hit comes back at once, confirm() catches a blob corrupted in place") {
    std::string bytes = good;
    bytes[bytes.size() / 3] ^= 1;
    { std::ofstream(blob, std::ios::binary | std::ios::in | std::ios::out) << bytes; }
    cache.prefetch(key);
    CHECK(cache.fetch(key, f.tmp.path() / "deferred", /*defer=*/true));
    CHECK_FALSE(cache.confirm());
    CHECK_FALSE(fs::exists(blob));  // the bad entry is gone
    CHECK_FALSE(fs::exists(f.cache_dir / "entries" / (key + ".json")));
    CHECK(cache.confirm());  // nothing left to check
  }
  SECTION("deferred and intact: confirmed") {
    cache.prefetch(key);
    CHECK(cache.fetch(key, f.tmp.path() / "deferred", /*defer=*/true));
    CHECK(cache.confirm());
    CHECK(read_bytes(f.tmp.path() / "deferred") == good);
    CHECK(fs::exists(blob));
  }
  SECTION("deferred without an early check: verified at once, as always") {
    std::string bytes = good;
    bytes[bytes.size() / 3] ^= 1;
    { std::ofstream(blob, std::ios::binary | std::ios::in | std::ios::out) << bytes; }
    CHECK_FALSE(cache.fetch(key, f.tmp.path() / "bad", /*defer=*/true));
    CHECK(cache.confirm());
  }
  SECTION("the blob replaced after the early check began: the file served is hashed itself") {
    cache.prefetch(key);
    std::string bytes = good;
    bytes[bytes.size() / 2] ^= 1;
    fs::remove(blob);
    write_text(blob, bytes);  // another inode, corrupt
    CHECK_FALSE(cache.fetch(key, f.tmp.path() / "bad"));
    CHECK_FALSE(fs::exists(f.tmp.path() / "bad"));
  }
  SECTION("another entry was expected: this one is still checked, the early one is dropped") {
    cache.prefetch(std::string(64, 'a'));  // no such entry: nothing starts
    cache.prefetch(key);
    LayerOptions opt9;
    opt9.compression.level = 9;
    std::string other = f.build_and_store(cache, opt9, "l2");
    REQUIRE(other != key);
    CHECK(cache.fetch(other, f.tmp.path() / "other"));
    CHECK(cache.fetch(key, f.tmp.path() / "got"));  // no early check left: hashed now
  }
  SECTION("the expected key is what was noted for the build, and nothing else") {
    CHECK_FALSE(cache.expected_key("manifest-a"));
    cache.note_key("manifest-a", key);
    CHECK(cache.expected_key("manifest-a") == key);
    CHECK_FALSE(cache.expected_key("manifest-b"));
    cache.note_key("manifest-a", "../../etc/passwd");
    CHECK(cache.expected_key("manifest-a") == key);  // only keys are noted
    write_text(f.cache_dir / "last-keys" / slimbuild::util::sha256_hex("manifest-a"), "../x\n");
    CHECK_FALSE(cache.expected_key("manifest-a"));  // a damaged note is no guess
  }
}

TEST_CASE("layer cache: the size bound evicts the least recently used entry", "[cache]") {
  Fixture f;
  LayerOptions opt;
  uint64_t one = 0;
  std::string k1, k2, k3;
  {
    LayerCache sizing(f.tmp.path() / "sizing");
    k1 = f.build_and_store(sizing, opt, "s");
    one = fs::file_size(f.tmp.path() / "s");
  }
  LayerCache cache(f.cache_dir, one * 2 + one / 2);  // room for two
  opt.mtime = 1;
  k1 = f.build_and_store(cache, opt, "e1");
  opt.mtime = 2;
  k2 = f.build_and_store(cache, opt, "e2");
  // Make e1 the most recently used, then add a third.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  REQUIRE(cache.fetch(k1, f.tmp.path() / "f1"));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  opt.mtime = 3;
  k3 = f.build_and_store(cache, opt, "e3");
  auto has = [&](const std::string& k) { return fs::exists(f.cache_dir / "entries" / (k + ".json")); };
  CHECK(has(k1));
  CHECK_FALSE(has(k2));
  CHECK(has(k3));
}

TEST_CASE("layer cache: the file-hash index is trusted only for unchanged, settled files", "[cache]") {
  Fixture f;
  // Old timestamps: written "long" before this cache's build started.
  std::this_thread::sleep_for(std::chrono::milliseconds(120));
  LayerOptions opt;
  std::string key;
  {
    LayerCache cache(f.cache_dir);
    key = f.build_and_store(cache, opt, "l");
  }
  std::string index = read_bytes(f.cache_dir / "file-hashes");
  CHECK(index.find((f.tmp.path() / "src/b.bin").string()) != std::string::npos);
  // A recorded hash is what a later build uses, even for a big file it
  // would otherwise refuse to hash up front; a lie in the index would show.
  LayerCache cache(f.cache_dir);
  std::map<std::string, std::string> h;
  REQUIRE(cache.key(f.rootfs, opt, h) == key);
  // A file rewritten since is not taken from the index.
  write_text(f.tmp.path() / "src/b.bin", std::string(200000, 'c'));
  LayerCache again(f.cache_dir);
  std::map<std::string, std::string> h2;
  auto k2 = again.key(f.rootfs, opt, h2);
  REQUIRE(k2);
  CHECK(*k2 != key);
  CHECK(h2.at("/b.bin") == slimbuild::util::sha256_hex(std::string(200000, 'c')));
}

TEST_CASE("layer cache: KeyMode::Always keys a large unknown tree up front, as the build would", "[cache]") {
  // More than the 64 MiB that IfCheap hashes before building: with an empty
  // index (a fresh CI runner) IfCheap defers the key, Always computes it.
  Fixture f;
  {
    std::ofstream big(f.tmp.path() / "src/big.bin", std::ios::binary);
    std::string chunk(1 << 20, 'z');
    for (int i = 0; i < 65; ++i) big << chunk;
  }
  f.rootfs.add(file_from("/big.bin", f.tmp.path() / "src/big.bin"));
  LayerCache cache(f.cache_dir);
  LayerOptions opt;
  std::map<std::string, std::string> cheap, always;
  CHECK_FALSE(cache.key(f.rootfs, opt, cheap));
  auto key = cache.key(f.rootfs, opt, always, LayerCache::KeyMode::Always);
  REQUIRE(key);
  CHECK(always.size() == 4);
  LayerResult built = slimbuild::layer::write_layer(f.rootfs, f.tmp.path() / "big.layer", opt);
  CHECK(built.file_sha256 == always);
  CHECK(cache.key_from(f.rootfs, opt, built.file_sha256) == *key);
}

TEST_CASE("layer cache: every part of a large blob is checked, and the record is sealed", "[cache]") {
  // The cache does not care what the blob holds: 40 MiB and 5 bytes of
  // noise make three parts of 16 MiB, the last one short.
  Fixture f;
  std::string bytes(40u * 1024 * 1024 + 5, '\0');
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (char& c : bytes) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    c = static_cast<char>(x);
  }
  const fs::path built = f.tmp.path() / "built.blob";
  write_text(built, bytes);
  LayerResult layer;
  layer.digest = "sha256:" + slimbuild::util::sha256_hex(bytes);
  layer.size = bytes.size();
  layer.diff_id = "sha256:" + slimbuild::util::sha256_hex("the tar");
  layer.tar_size = 12345;
  layer.media_type = "application/vnd.oci.image.layer.v1.tar+gzip";
  for (std::size_t at = 0; at < bytes.size(); at += 16u << 20)  // as the writer takes them
    layer.part_sha256.push_back(slimbuild::util::sha256_hex(std::string_view(bytes).substr(at, 16u << 20)));
  const std::string key(64, 'c');
  LayerCache cache(f.cache_dir);
  cache.store(key, built, layer);
  const fs::path blob = f.cache_dir / "entries" / (key + ".blob");
  const fs::path record = f.cache_dir / "entries" / (key + ".json");
  auto j = nlohmann::json::parse(read_bytes(record));
  REQUIRE(j.at("parts").size() == 3);
  CHECK(j.at("parts")[2] == slimbuild::util::sha256_hex(std::string_view(bytes).substr(32u << 20)));
  auto flip_in_place = [&](std::size_t at) {
    std::fstream io(blob, std::ios::binary | std::ios::in | std::ios::out);
    io.seekp(static_cast<std::streamoff>(at));
    io.put(static_cast<char>(bytes[at] ^ 1));
  };
  auto rejected = [&](bool defer) {
    cache.prefetch(key);
    auto hit = cache.fetch(key, f.tmp.path() / "served", defer);
    bool caught = !hit || !cache.confirm();
    return caught && !fs::exists(record) && !fs::exists(blob);
  };

  SECTION("intact: served with the recorded result, checked early or at once") {
    auto hit = cache.fetch(key, f.tmp.path() / "now");
    REQUIRE(hit);
    CHECK(hit->digest == layer.digest);
    CHECK(hit->diff_id == layer.diff_id);
    CHECK(hit->tar_size == 12345);
    cache.prefetch(key);
    CHECK(cache.fetch(key, f.tmp.path() / "early", /*defer=*/true));
    CHECK(cache.confirm());
    CHECK(read_bytes(f.tmp.path() / "early") == bytes);
  }
  SECTION("one byte of the short last part flipped in place: caught by the early check") {
    flip_in_place(bytes.size() - 2);
    CHECK(rejected(/*defer=*/true));
  }
  SECTION("one byte of the middle part flipped in place: caught") {
    flip_in_place((16u << 20) + 7);
    CHECK(rejected(/*defer=*/false));
  }
  SECTION("the blob cut short by a part: caught by its size") {
    fs::resize_file(blob, 32u << 20);
    CHECK(rejected(/*defer=*/true));
  }
  SECTION("the digest in the record edited: the seal no longer matches") {
    std::string d = j.at("digest");
    d.back() = d.back() == '0' ? '1' : '0';
    j["digest"] = d;
    write_text(record, j.dump());
    CHECK(rejected(/*defer=*/false));
  }
  SECTION("a part rewritten and its hash updated in the record, without a new seal: caught") {
    flip_in_place(5);
    std::string changed = bytes;
    changed[5] ^= 1;
    j["parts"][0] = slimbuild::util::sha256_hex(std::string_view(changed).substr(0, 16u << 20));
    write_text(record, j.dump());
    CHECK(rejected(/*defer=*/true));
  }
}
