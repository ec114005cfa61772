import Foundation

/// The controlling terminal for the live meter: raw key input without echo, restored on every exit.
/// Owns the saved termios state; `restore()` is idempotent and also runs from `deinit`.
final class Terminal {
    private var saved = termios()
    private var active = false

    /// Puts stdin in non-canonical, no-echo mode when it is a terminal.
    init() {
        guard isatty(STDIN_FILENO) == 1, tcgetattr(STDIN_FILENO, &saved) == 0 else { return }
        var raw = saved
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 0
            cc[Int(VTIME)] = 0
        }
        active = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0
    }

    deinit { restore() }

    func restore() {
        guard active else { return }
        tcsetattr(STDIN_FILENO, TCSANOW, &saved)
        active = false
    }

    /// Keys typed since the last call (never blocks).
    func keys() -> [UInt8] {
        guard active else { return [] }
        var pfd = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, 0) > 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = read(STDIN_FILENO, &buffer, buffer.count)
        return n > 0 ? Array(buffer[0..<n]) : []
    }

    /// Columns and rows of stdout's terminal (80x24 when unknown).
    static func size() -> (width: Int, height: Int) {
        var w = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &w) == 0, w.ws_col > 0, w.ws_row > 0 {
            return (Int(w.ws_col), Int(w.ws_row))
        }
        return (80, 24)
    }
}

/// SIGINT / SIGTERM as a flag the main loop polls (the default action would skip closing the
/// recording and writing the report).
final class StopSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var raised: Int32? = nil
    private var sources: [DispatchSourceSignal] = []

    init(signals: [Int32] = [SIGINT, SIGTERM]) {
        for s in signals {
            Glibc.signal(s, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: s, queue: .global())
            source.setEventHandler { [weak self] in self?.raise(s) }
            source.resume()
            sources.append(source)
        }
    }

    private func raise(_ s: Int32) {
        lock.lock(); defer { lock.unlock() }
        if raised == nil { raised = s }
    }

    var signal: Int32? {
        lock.lock(); defer { lock.unlock() }
        return raised
    }
}
