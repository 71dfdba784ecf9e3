import Testing

@testable import Offload

/// Which sampled time may bound the claim floors, without a database.
@Suite("ClaimFloors bound, without a database")
struct ClaimFloorsTests {
    typealias Sample = ClaimFloors.Sample

    @Test func aSampleBoundsOnceEveryWriterHasANewerXid() {
        var floors = ClaimFloors()
        // xid 100 writes jobs (got before "t1", whose own xid is 105); nothing qualifies while it does.
        #expect(floors.bound(adding: Sample(at: "t1", xid: 105), oldestWriter: 100) == nil)
        #expect(floors.bound(adding: Sample(at: "t2", xid: 110), oldestWriter: 100) == nil)
        // xid 100 ended; the oldest writer is 107: "t1" (xid 105) qualifies, "t2" (xid 110) not yet.
        #expect(floors.bound(adding: Sample(at: "t3", xid: 112), oldestWriter: 107) == "t1")
        // The oldest writer is 113: the newest qualifying sample wins.
        #expect(floors.bound(adding: Sample(at: "t4", xid: 115), oldestWriter: 113) == "t3")
        #expect(floors.samples.map(\.at) == ["t3", "t4"])
    }

    /// With no transaction writing jobs, the sample just taken qualifies.
    @Test func withNoWriterTheNewSampleIsTheBound() {
        var floors = ClaimFloors()
        #expect(floors.bound(adding: Sample(at: "t1", xid: 50), oldestWriter: nil) == "t1")
        #expect(floors.samples == [Sample(at: "t1", xid: 50)])
    }

    /// An old transaction that keeps writing jobs keeps every sample from qualifying; the list stays bounded,
    /// dropping the oldest (the floors then wait, which is safe).
    @Test func samplesStayBoundedWhileAnOldXidRuns() {
        var floors = ClaimFloors()
        var bounds: [String] = []
        for index in 0..<(ClaimFloors.maximumSamples + 10) {
            if let bound = floors.bound(adding: Sample(at: "t\(index)", xid: Int64(1_000 + index)), oldestWriter: 999) {
                bounds.append(bound)
            }
        }
        #expect(bounds.isEmpty)
        #expect(floors.samples.count == ClaimFloors.maximumSamples)
        #expect(floors.samples.first?.at == "t10")
    }
}
