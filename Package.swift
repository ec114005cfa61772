// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "TalkBalance",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "talkbalance", targets: ["talkbalance"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C system libraries: module map + one-line shim, nothing else.
        .systemLibrary(name: "CALSA", pkgConfig: "alsa", providers: [.apt(["libasound2-dev"])]),
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3f", providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(name: "CSndFile", pkgConfig: "sndfile", providers: [.apt(["libsndfile1-dev"])]),

        // FFTW-backed spectral front end (the only FFTW user).
        .target(name: "TalkBalanceDSP", dependencies: ["CFFTW"]),
        // No C, no I/O: activity, attribution, conversation analysis, pipeline, session result.
        .target(name: "TalkBalanceCore", dependencies: ["TalkBalanceDSP"]),
        // Sound files (libsndfile) and ALSA capture: the only users of those C libraries.
        .target(name: "TalkBalanceIO", dependencies: ["TalkBalanceCore", "CSndFile", "CALSA"]),
        // Scoring against ground truth: RTTM, DER, voice-activity F1, event matching. Pure Swift.
        .target(name: "TalkBalanceEval"),
        // Renderers: session result in, text out.
        .target(name: "TalkBalanceReport", dependencies: ["TalkBalanceCore"]),
        .executableTarget(
            name: "talkbalance",
            dependencies: [
                "TalkBalanceCore", "TalkBalanceIO", "TalkBalanceReport", "TalkBalanceEval",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Child processes for tests: output through files, every wait with a deadline (never hangs CI).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "TalkBalanceDSPTests", dependencies: ["TalkBalanceDSP"]),
        .testTarget(name: "TalkBalanceCoreTests", dependencies: ["TalkBalanceCore"]),
        .testTarget(name: "TalkBalanceIOTests", dependencies: ["TestSupport", "TalkBalanceIO", "TalkBalanceCore"]),
        .testTarget(name: "TalkBalanceReportTests", dependencies: ["TestSupport", "TalkBalanceReport", "TalkBalanceCore"]),
        .testTarget(name: "TalkBalanceEvalTests", dependencies: ["TalkBalanceEval"]),
        .testTarget(name: "AccuracyTests", dependencies: ["TestSupport", "TalkBalanceCore", "TalkBalanceIO", "TalkBalanceEval"]),
        .testTarget(name: "DiarizationTests", dependencies: ["TestSupport", "TalkBalanceCore", "TalkBalanceDSP", "TalkBalanceIO", "TalkBalanceEval"]),
        .testTarget(name: "talkbalanceTests", dependencies: ["TestSupport", "TalkBalanceCore"]),
    ],
    swiftLanguageModes: [.v6]
)
