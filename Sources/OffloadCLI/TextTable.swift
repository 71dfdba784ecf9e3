import Offload

/// Aligned plain-text tables for human output.
package enum TextTable {
    /// Renders rows (the first is the header) with columns padded to their widest cell. Columns in
    /// `rightAligned` (by index) are padded on the left, for numbers.
    ///
    /// Every cell is shown with its control characters escaped (`escapingControlCharacters`): cells
    /// hold stored text that whoever enqueues chooses, and a raw escape sequence or newline in one
    /// would steer the terminal or break the table.
    package static func render(_ rows: [[String]], rightAligned: Set<Int> = []) -> String {
        let rows = rows.map { row in row.map(\.escapingControlCharacters) }
        guard let columnCount = rows.map(\.count).max() else { return "" }
        var widths = [Int](repeating: 0, count: columnCount)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        return rows.map { row in
            row.enumerated().map { index, cell in
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                if rightAligned.contains(index) { return padding + cell }
                return index == row.count - 1 ? cell : cell + padding
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
