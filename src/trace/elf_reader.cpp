// read_elf: our bounds-checked reader decides (elf_validate.cpp); LIEF then
// parses the same bytes independently as a cross-check, when the file is
// small enough that a whole-file read costs little: at once, or queued on
// ElfCrossChecks' worker threads while the trace goes on. Both read the one
// descriptor the caller's util::FileSystem opened: LIEF 0.9 parses a path or
// a vector it copies, so it is given the descriptor's /proc/self/fd name (the
// same open file, read once by LIEF itself, as before), and where /proc is
// missing a copy read from the descriptor (Parser::parse(vector, name); that
// costs a second copy of the file in memory: +4.5 MB peak tracing curl). A disagreement about the
// machine, the interpreter or DT_NEEDED means one parser was fooled by a
// malformed file, so it is refused rather than guessed at. LIEF only ever
// sees files that passed validation, and everything it throws becomes an
// Error naming the file.
#include <slimbuild/trace/elf_reader.hpp>

#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include <LIEF/ELF.hpp>
#include <LIEF/exception.hpp>
#include <LIEF/logging.hpp>

#include "trace/elf_validate.hpp"
#include <slimbuild/util/error.hpp>

namespace slimbuild::trace {

namespace {

// LIEF reads the whole file and parses every symbol: ~0.1 s and ~60 MB here
// for a 16 MB program, 5.6 s and 1.2 GB for a 540 MB library.
constexpr uintmax_t kLiefCrossCheckLimit = 32u << 20;

// LIEF logs parse warnings to stderr; our own messages are the ones that count.
void silence_lief() {
  static std::once_flag once;
  std::call_once(once, [] { LIEF::Logger::disable(); });
}

// The whole file from the validated descriptor, as LIEF's own reader would.
std::vector<uint8_t> read_whole(const fs::path& file, int fd, uint64_t size) {
  std::vector<uint8_t> data(static_cast<size_t>(size));
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pread(fd, data.data() + done, data.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error("cannot read " + file.string() + ": " + std::strerror(errno));
    if (n == 0) throw Error(file.string() + " changed while it was being read (it is shorter than before)");
    done += static_cast<size_t>(n);
  }
  return data;
}

std::unique_ptr<LIEF::ELF::Binary> parse_with_lief(const fs::path& file, int fd, uint64_t size) {
  std::string self = "/proc/self/fd/" + std::to_string(fd);
  if (::access(self.c_str(), R_OK) == 0) return LIEF::ELF::Parser::parse(self);
  return LIEF::ELF::Parser::parse(read_whole(file, fd, size), file.string());
}

void cross_check_with_lief(const fs::path& file, int fd, uint64_t size, const ElfInfo& ours) {
  silence_lief();
  auto disagree = [&](const std::string& what) {
    throw Error(file.string() + " is not a valid ELF file: " + what, "the file is corrupt; rebuild it or copy it again");
  };
  try {
    std::unique_ptr<LIEF::ELF::Binary> bin = parse_with_lief(file, fd, size);
    if (!bin) disagree("LIEF cannot parse it");
    if (static_cast<uint16_t>(bin->header().machine_type()) != ours.machine) disagree("inconsistent machine type");
    std::string interp = bin->has_interpreter() ? bin->interpreter() : "";
    if (interp.substr(0, interp.find('\0')) != ours.interpreter) disagree("inconsistent PT_INTERP");
    size_t needed = 0;
    for (const auto& entry : bin->dynamic_entries())
      if (entry.tag() == LIEF::ELF::DYNAMIC_TAGS::DT_NEEDED) ++needed;
    if (needed != ours.needed.size()) disagree("inconsistent DT_NEEDED entries");
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {  // LIEF::exception derives from std::exception
    disagree(e.what());
  }
}

}  // namespace

struct ElfCrossChecks::Impl {
  struct Job {
    fs::path file;
    util::Fd fd;
    uint64_t size = 0;
    ElfInfo ours;
    std::string context;
    std::function<void(const ElfInfo&)> then;
    bool done = false;
    std::exception_ptr error;
  };

  unsigned threads;
  Check check;
  std::mutex mu;
  std::condition_variable work_cv, done_cv;
  std::deque<Job> jobs;   // queue order; references stay valid while it only grows
  std::size_t next = 0;   // the first job no worker has taken
  std::size_t finished = 0;
  bool stop = false;
  std::vector<std::thread> workers;

  void work() {
    std::unique_lock lock(mu);
    for (;;) {
      work_cv.wait(lock, [&] { return stop || next < jobs.size(); });
      if (stop) return;
      Job& job = jobs[next++];
      lock.unlock();
      std::exception_ptr error;
      try {
        check(job.file, job.fd.get(), job.size, job.ours);
      } catch (...) {
        error = std::current_exception();
      }
      util::Fd closed = std::move(job.fd);
      closed.reset();
      lock.lock();
      job.error = error;
      job.done = true;
      ++finished;
      done_cv.notify_all();
    }
  }
};

ElfCrossChecks::ElfCrossChecks(unsigned threads) : ElfCrossChecks(threads, cross_check_with_lief) {}

ElfCrossChecks::ElfCrossChecks(unsigned threads, Check check) : impl_(std::make_unique<Impl>()) {
  impl_->threads = threads;
  impl_->check = std::move(check);
  silence_lief();  // before any worker parses
}

ElfCrossChecks::~ElfCrossChecks() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stop = true;
  }
  impl_->work_cv.notify_all();
  for (auto& t : impl_->workers) t.join();
}

void ElfCrossChecks::add(fs::path file, util::Fd fd, uint64_t size, ElfInfo ours, std::string context,
                         std::function<void(const ElfInfo&)> then) {
  Impl& s = *impl_;
  std::unique_lock lock(s.mu);
  if (s.workers.size() < s.threads && s.workers.size() < s.jobs.size() - s.finished + 1) {
    try {
      s.workers.emplace_back([&s] { s.work(); });  // started as work arrives
    } catch (const std::system_error&) {
      // No thread to be had (a process or cgroup limit): what workers
      // there are go on; with none, the check runs here and now.
    }
  }
  if (s.workers.empty()) {
    lock.unlock();
    Impl::Job job{std::move(file), std::move(fd), size, std::move(ours), std::move(context), std::move(then), true, nullptr};
    try {
      s.check(job.file, job.fd.get(), job.size, job.ours);
    } catch (...) {
      job.error = std::current_exception();
    }
    job.fd.reset();
    lock.lock();
    s.jobs.push_back(std::move(job));
    s.next = s.jobs.size();  // no worker will take it (nor any before it: there were none)
    ++s.finished;
    return;
  }
  s.done_cv.wait(lock, [&] { return s.jobs.size() - s.finished < kMaxPending; });
  s.jobs.push_back({std::move(file), std::move(fd), size, std::move(ours), std::move(context), std::move(then), false, nullptr});
  s.work_cv.notify_one();
}

void ElfCrossChecks::finish() {
  Impl& s = *impl_;
  std::deque<Impl::Job> jobs;
  {
    std::unique_lock lock(s.mu);
    s.done_cv.wait(lock, [&] { return s.finished == s.jobs.size(); });
    jobs.swap(s.jobs);
    s.next = s.finished = 0;
  }
  for (auto& job : jobs) {
    if (job.error) {
      try {
        std::rethrow_exception(job.error);
      } catch (const Error& e) {
        throw Error(e.what() + job.context, e.hint());
      } catch (const std::exception& e) {
        throw Error(job.file.string() + " could not be checked: " + e.what() + job.context);
      }
    }
    if (job.then) job.then(job.ours);
  }
}

ElfInfo read_elf(const fs::path& file, const util::FileSystem& files) {
  ValidatedElf v = validate_elf_open(file, files);
  if (v.size <= kLiefCrossCheckLimit) cross_check_with_lief(file, v.fd.get(), v.size, v.info);
  return std::move(v.info);
}

ElfInfo read_elf(const fs::path& file, const util::FileSystem& files, ElfCrossChecks& later, std::string context,
                 std::function<void(const ElfInfo&)> then, const std::function<bool(const ElfInfo&)>& wanted) {
  ValidatedElf v = validate_elf_open(file, files);
  if (wanted && !wanted(v.info)) return std::move(v.info);
  if (v.size > kLiefCrossCheckLimit) {
    if (then) then(v.info);
    return std::move(v.info);
  }
  ElfInfo info = v.info;
  later.add(file, std::move(v.fd), v.size, std::move(v.info), std::move(context), std::move(then));
  return info;
}

bool has_elf_magic(const fs::path& file, const util::FileSystem& files) {
  auto fd = files.open_read(file);
  if (!fd) return false;
  char magic[4];
  return ::pread(fd->get(), magic, 4, 0) == 4 && std::memcmp(magic, "\x7f" "ELF", 4) == 0;
}

}  // namespace slimbuild::trace
