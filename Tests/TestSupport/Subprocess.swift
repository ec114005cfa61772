import Foundation

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

/// Runs child processes for tests without ever hanging the test run.
///
/// - stdout and stderr go to files, never pipes: a program that leaves a daemon behind (tmux starts its
///   server on first use, and the server inherits the client's descriptors) would keep a pipe open
///   forever and a read to end-of-file would never return. This hung CI once.
/// - every wait has a deadline; past it the process gets SIGTERM, then SIGKILL two seconds later.
public enum Subprocess {
    /// Runs `executable` (an absolute path, or a name looked up on PATH) with `arguments`, stdin from
    /// /dev/null, and waits at most `timeout` seconds.
    public static func run(_ executable: String, _ arguments: [String], in directory: URL? = nil,
                           timeout: Double = 300) throws -> ProcessRun {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("talkbalance-subprocess-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let outURL = folder.appendingPathComponent("stdout"), errURL = folder.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        let p = Process()
        if executable.hasPrefix("/") {
            p.executableURL = URL(fileURLWithPath: executable)
            p.arguments = arguments
        } else {
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = [executable] + arguments
        }
        if let directory { p.currentDirectoryURL = directory }
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let timedOut = !wait(for: p, seconds: timeout)
        try out.close(); try err.close()
        return ProcessRun(status: p.terminationStatus, killedBySignal: p.terminationReason == .uncaughtSignal,
                          timedOut: timedOut, stdout: try Data(contentsOf: outURL),
                          stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }

    /// Waits for a started process at most `seconds`; past that it is terminated, then killed.
    /// Returns false when the deadline passed. Always returns with the process reaped.
    @discardableResult
    public static func wait(for p: Process, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        guard p.isRunning else { p.waitUntilExit(); return true }
        p.terminate()
        let grace = Date().addingTimeInterval(2)
        while p.isRunning && Date() < grace { usleep(20_000) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        return false
    }
}
