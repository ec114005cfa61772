import Foundation

/// A program running in a real terminal: a private tmux server (its own socket, so a user's tmux is never
/// touched), one 80x24 session, killed with the value. Output of tmux goes through files (see
/// `ChildProcess`: the server inherits the first client's descriptors).
public final class TmuxTerminal {
    public let socket: String
    public let session = "main"

    /// Starts `command` (arguments quoted for the shell) in a new detached session.
    public init(command: [String], width: Int = 80, height: Int = 24) throws {
        socket = "talkbalance-test-\(getpid())-\(UInt32.random(in: 0..<UInt32.max))"
        let line = command.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        _ = try tmux(["new-session", "-d", "-s", session, "-x", "\(width)", "-y", "\(height)", line])
    }

    /// Ends the server and everything in it (the program gets SIGHUP). Call it in a `defer` right after
    /// starting: that also keeps the terminal alive to the end of the test (ARC may release a value after
    /// its last use).
    public func close() { _ = try? tmux(["kill-server"]) }

    deinit { close() }

    @discardableResult
    public func tmux(_ args: [String]) throws -> ProcessRun {
        try Subprocess.run("/usr/bin/tmux", ["-L", socket] + args, timeout: 20)
    }

    /// What the terminal shows now.
    public func screen() throws -> String { try tmux(["capture-pane", "-p", "-t", session]).stdoutText }

    /// Types `keys` (tmux key names, e.g. "q", "Enter").
    public func send(_ keys: String) throws { try tmux(["send-keys", "-t", session, keys]) }

    /// The screen once it contains `text`, or the last screen after `seconds`.
    public func waitFor(_ text: String, seconds: Double, poll: Double = 0.1) throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        var shown = ""
        while Date() < deadline {
            shown = try screen()
            if shown.contains(text) { return shown }
            Thread.sleep(forTimeInterval: poll)
        }
        return shown
    }
}
