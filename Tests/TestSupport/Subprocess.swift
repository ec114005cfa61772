import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a finished (or stopped) child process left behind.
public struct ProcessRun: Sendable {
    public let status: Int32
    /// True when the process ended by a signal (including our own kill after the deadline).
    public let killedBySignal: Bool
    /// True when the deadline passed and we killed it.
    public let timedOut: Bool
    public let stdout: Data
    public let stderr: String
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var succeeded: Bool { !timedOut && !killedBySignal && status == 0 }
}

/// A child process started with posix_spawn and reaped with waitpid by its owner.
///
/// Foundation's `Process` is not used for this: on Linux it learns that a child ended from a descriptor
/// the child inherits, so a child that leaves a daemon behind (tmux starts its server on first use, and
/// the server inherits everything) is never seen to end and `waitUntilExit` blocks for good. That hung
/// CI once. Here stdout and stderr go to files, never pipes, and every wait has a deadline.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    private var finished: (status: Int32, signalled: Bool)? = nil

    public struct SpawnFailed: Error, CustomStringConvertible {
        public let executable: String, code: Int32
        public var description: String { "cannot start \(executable): \(String(cString: strerror(code)))" }
    }

    /// Starts `executable` (an absolute path, or a name looked up on PATH) with `arguments`; stdin is
    /// /dev/null, stdout and stderr go to the given paths (nil: /dev/null), in `directory` if given.
    public init(_ executable: String, _ arguments: [String], in directory: URL? = nil,
                stdout: String? = nil, stderr: String? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderr ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        // The child starts with default signal handling (tests set SIGPIPE to ignored) and no mask.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t(), empty = sigset_t()
        sigemptyset(&defaults); sigaddset(&defaults, SIGPIPE); sigaddset(&defaults, SIGINT); sigaddset(&defaults, SIGTERM)
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        // A working directory through coreutils' `env --chdir` (posix_spawn_file_actions_addchdir_np is
        // not visible to Swift without _GNU_SOURCE).
        let command = directory.map { ["/usr/bin/env", "--chdir=\($0.path)", executable] } ?? [executable]
        let argv: [UnsafeMutablePointer<CChar>?] = (command + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let code = command[0].contains("/")
            ? posix_spawn(&child, command[0], &actions, &attributes, argv, environ)
            : posix_spawnp(&child, command[0], &actions, &attributes, argv, environ)
        guard code == 0 else { throw SpawnFailed(executable: executable, code: code) }
        pid = child
    }

    /// Sends `signal` unless the child has been reaped already.
    public func send(_ signal: Int32) {
        if finished == nil { kill(pid, signal) }
    }

    /// Reaps the child if it has ended; true once it has.
    public var hasEnded: Bool {
        if finished != nil { return true }
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        if r == pid {
            let signalled = (status & 0x7f) != 0 && (status & 0x7f) != 0x7f
            finished = (signalled ? status & 0x7f : (status >> 8) & 0xff, signalled)
        } else if r < 0 && errno == ECHILD {
            finished = (-1, false)    // reaped elsewhere: status unknown
        }
        return finished != nil
    }

    /// Exit status, or the signal number when `signalled`; nil while running.
    public var status: Int32? { hasEnded ? finished?.status : nil }
    public var signalled: Bool { hasEnded && finished?.signalled == true }

    /// Waits at most `seconds` for the child to end; past that it gets SIGTERM, then SIGKILL two seconds
    /// later, and is reaped. Returns false when the deadline passed.
    @discardableResult
    public func wait(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !hasEnded && Date() < deadline { usleep(10_000) }
        if hasEnded { return true }
        send(SIGTERM)
        let grace = Date().addingTimeInterval(2)
        while !hasEnded && Date() < grace { usleep(10_000) }
        if !hasEnded {
            send(SIGKILL)
            while !hasEnded { usleep(10_000) }
        }
        return false
    }

    deinit {
        // Never leave a child behind.
        if !hasEnded { send(SIGKILL); while !hasEnded { usleep(10_000) } }
    }
}

/// Runs a program to completion with output captured through files and a deadline.
public enum Subprocess {
    /// Runs `executable` (an absolute path, or a name looked up on PATH) with `arguments`, stdin from
    /// /dev/null, and waits at most `timeout` seconds.
    public static func run(_ executable: String, _ arguments: [String], in directory: URL? = nil,
                           timeout: Double = 300) throws -> ProcessRun {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("talkbalance-subprocess-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let outPath = folder.appendingPathComponent("stdout").path, errPath = folder.appendingPathComponent("stderr").path
        let child = try ChildProcess(executable, arguments, in: directory, stdout: outPath, stderr: errPath)
        let timedOut = !child.wait(seconds: timeout)
        return ProcessRun(status: child.status ?? -1, killedBySignal: child.signalled, timedOut: timedOut,
                          stdout: (try? Data(contentsOf: URL(fileURLWithPath: outPath))) ?? Data(),
                          stderr: String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: errPath))) ?? Data(), as: UTF8.self))
    }
}
