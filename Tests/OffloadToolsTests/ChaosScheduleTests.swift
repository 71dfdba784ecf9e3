import Testing

@testable import OffloadTools

@Suite("Chaos run planning")
struct ChaosScheduleTests {
    @Test func killsEveryIntervalPlusOneRestartAndOneTermination() {
        var configuration = ChaosConfiguration(workerExecutable: "/bin/true", logDirectory: "/tmp")
        configuration.duration = .seconds(20)
        configuration.killInterval = .seconds(2)
        let schedule = ChaosSchedule(configuration: configuration, restartsPostgres: true)
        #expect(schedule.events.filter { $0.fault == .killWorker }.map(\.at) == (1...9).map { .seconds(2 * $0) })
        #expect(schedule.events.filter { $0.fault == .restartPostgres }.map(\.at) == [.seconds(9)])
        #expect(schedule.events.filter { $0.fault == .terminateConnections }.map(\.at) == [.seconds(14)])
        #expect(schedule.events.map(\.at) == schedule.events.map(\.at).sorted())
        let noRestart = ChaosSchedule(configuration: configuration, restartsPostgres: false)
        #expect(!noRestart.events.contains { $0.fault == .restartPostgres })
    }

    @Test func jobMixIsSeededAndRoughlyAsConfigured() {
        let configuration = ChaosConfiguration(workerExecutable: "/bin/true", logDirectory: "/tmp")
        let mix = ChaosJobMix(configuration: configuration)
        let jobs = mix.arguments(1...20_000)
        #expect(jobs == ChaosJobMix(configuration: configuration).arguments(1...20_000))
        #expect(jobs.map(\.n) == Array(1...20_000))
        let alwaysFail = jobs.filter { $0.alwaysFail == true }.count
        let failFirst = jobs.filter { $0.failFirst == true }.count
        let slow = jobs.filter { ($0.sleepMs ?? 0) >= 1_000 }.count
        #expect((150...250).contains(alwaysFail))
        #expect((850...1_150).contains(failFirst))
        #expect((300...500).contains(slow))
        #expect(jobs.allSatisfy { !($0.alwaysFail == true && $0.failFirst == true) })
        #expect(jobs.allSatisfy { ($0.sleepMs ?? 0) <= 2_000 })
    }

    @Test func exitStatusDecodesWaitStatuses() {
        #expect(ChildExitStatus(waitStatus: 0) == .exited(0))
        #expect(ChildExitStatus(waitStatus: 3 << 8) == .exited(3))
        #expect(ChildExitStatus(waitStatus: 9) == .signalled(9))
    }
}
