import Configuration

extension TicketPDFConfiguration {
    /// Reads the configuration from `reader`, using the defaults of ``init(outputDirectory:workers:backlogCapacity:cleanupMaxAge:cleanupInterval:fonts:)``
    /// for missing keys.
    ///
    /// Configuration keys (environment variable names in brackets):
    /// - `pdf.outputDir` (`PDF_OUTPUT_DIR`, string, default `"tickets"`): where tickets are written.
    /// - `pdf.cleanupMaxAgeHours` (`PDF_CLEANUP_MAX_AGE_HOURS`, double, default `24`): age after which tickets are deleted.
    /// - `pdf.cleanupIntervalMinutes` (`PDF_CLEANUP_INTERVAL_MINUTES`, double, default `60`): how often cleanup runs.
    /// - `pdf.workers` (`PDF_WORKERS`, int, default `2`): background render threads; `0` turns background rendering off.
    /// - `pdf.backlogCapacity` (`PDF_BACKLOG_CAPACITY`, int, default `100000`): purchases queued for rendering at most.
    /// - `pdf.fontRegular`, `pdf.fontBold` (`PDF_FONT_REGULAR`, `PDF_FONT_BOLD`, string, default DejaVu Sans from
    ///   `fonts-dejavu-core`): TrueType font files.
    ///
    /// - Parameter reader: The reader to read from, not scoped.
    public init(reader: ConfigReader) {
        let defaults = TicketPDFConfiguration()
        let maxAgeHours = reader.double(forKey: "pdf.cleanupMaxAgeHours", default: 24)
        let intervalMinutes = reader.double(forKey: "pdf.cleanupIntervalMinutes", default: 60)
        self.init(
            outputDirectory: reader.string(forKey: "pdf.outputDir", default: defaults.outputDirectory),
            workers: max(0, reader.int(forKey: "pdf.workers", default: defaults.workers)),
            backlogCapacity: max(1, reader.int(forKey: "pdf.backlogCapacity", default: defaults.backlogCapacity)),
            cleanupMaxAge: .milliseconds(Int64(max(0, maxAgeHours) * 3_600_000)),
            cleanupInterval: .milliseconds(Int64(max(1.0 / 60, intervalMinutes) * 60_000)),
            fonts: TicketRenderer.Fonts(
                regular: reader.string(forKey: "pdf.fontRegular", default: defaults.fonts.regular),
                bold: reader.string(forKey: "pdf.fontBold", default: defaults.fonts.bold)
            )
        )
    }
}
