namespace PoapLab.Scenarios.Reports;

public static partial class HtmlReport
{
    /// <summary>The page's style: system fonts only, nothing fetched.</summary>
    private const string Css = """
        :root{--bad:#c62828;--bad-bg:#fdecea;--ok:#2e7d32;--ok-bg:#e8f5e9;--ink:#1f2328;--muted:#57606a;--line:#d0d7de;--mark:#fff3b0}
        *{box-sizing:border-box}
        body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--ink);background:#f6f8fa}
        header{padding:14px 28px;color:#fff;display:flex;align-items:baseline;gap:24px}
        header.ok{background:var(--ok)} header.bad{background:var(--bad)}
        header h1{margin:0;font-size:20px;letter-spacing:.5px} header .totals{margin:0;font-size:15px}
        main{max-width:1180px;margin:0 auto;padding:8px 28px 40px}
        h2{font-size:17px;margin:26px 0 10px;border-bottom:1px solid var(--line);padding-bottom:4px}
        h3{font-size:15px;margin:0 0 8px} h3 small{font-weight:normal;color:var(--muted)}
        pre,code{font:12.5px/1.4 ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace}
        pre{margin:0;white-space:pre-wrap;overflow-wrap:anywhere}
        a{color:#0969da;text-decoration:none} a:hover{text-decoration:underline}
        .badge{display:inline-block;font-size:11px;font-weight:600;text-transform:uppercase;padding:1px 7px;border-radius:10px;vertical-align:middle}
        .badge.bad{background:var(--bad);color:#fff} .badge.ok{background:var(--ok);color:#fff} .badge.exp{background:#6e7781;color:#fff}
        #failures article{background:#fff;border:1px solid var(--line);border-left:5px solid var(--bad);border-radius:6px;padding:14px 18px;margin:0 0 16px}
        #failures.none p{color:var(--ok)}
        .diagnosis{background:var(--bad-bg);border-radius:4px;padding:8px 12px;margin:0 0 8px}
        .diagnosis pre{font-weight:600;color:#6b1111}
        .diagnosis.headline{border:1px solid var(--bad)} .diagnosis .what{margin:0 0 4px;color:var(--bad);font-weight:600}
        ul.unmet{margin:6px 0 0;padding-left:20px;color:#6b1111}
        .switch+.switch{border-top:1px dashed var(--line);margin-top:12px;padding-top:12px}
        figure.evidence{margin:8px 0;border:1px solid var(--line);border-radius:4px;overflow:hidden}
        figure.evidence figcaption{background:#eef1f4;color:var(--muted);font-size:12px;padding:3px 10px}
        figure.evidence pre{padding:6px 10px;background:#fff}
        mark{background:var(--mark);color:inherit}
        .links{margin:6px 0 0;font-size:12.5px} .links a{margin-right:10px}
        table{border-collapse:collapse;width:100%;background:#fff;border:1px solid var(--line)}
        th,td{text-align:left;padding:4px 10px;border-bottom:1px solid #eaeef2;vertical-align:top;white-space:nowrap}
        .expected{color:var(--muted);font-size:12px;margin-left:6px}
        table.manifest td{white-space:normal}
        th{background:#eef1f4;font-weight:600;font-size:12.5px} td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
        tr.bad td{background:var(--bad-bg)} tr.bad td:nth-child(3){color:var(--bad);font-weight:600}
        tr.ok td:nth-child(3){color:var(--ok)} tr.skip td{color:var(--muted);white-space:normal}
        .timeline{background:#fff;border:1px solid var(--line);border-radius:6px;padding:10px 14px;margin:0 0 14px}
        .timeline.bad{border-left:5px solid var(--bad)}
        svg.tl{display:block;font:11px system-ui,"DejaVu Sans",sans-serif}
        svg .lane{fill:#fff} svg .lane.alt{fill:#f6f8fa} svg .lname{fill:var(--muted)} svg .axis{fill:var(--muted);text-anchor:middle;font-size:10px}
        svg .grid{stroke:#e3e7eb} svg .attempt{stroke:#8c959f;stroke-dasharray:3 3}
        svg .span{fill:#4f8fd6} svg .span.dhcp{fill:#7b61c9} svg .span.scriptdownload{fill:#2b9eb3} svg .span.scriptrun{fill:#3f7fd0}
        svg .span.transfer{fill:#e0a03a} svg .span.reload{fill:#9aa4ad} svg .span.replay{fill:#3ea66b}
        svg .span.failed{fill:var(--bad)} svg .span.open{fill:#c9ced4;stroke:#8c959f;stroke-dasharray:2 2}
        svg .cli{stroke:#0b3d73;stroke-width:1.2;opacity:.75} svg .fail{fill:var(--bad);stroke:#fff;stroke-width:1}
        .legend{color:var(--muted);font-size:12.5px} .key{display:inline-block;width:18px;height:9px;border-radius:2px;background:#3f7fd0;margin:0 2px 0 8px}
        .key.failed{background:var(--bad)} .key.open{background:#c9ced4} .tick{color:#0b3d73;margin-left:8px} .tick.bad{color:var(--bad)}
        .limit{background:#fff8e1;border:1px solid #f0d58c;border-radius:4px;padding:6px 10px;font-size:12.5px}
        table.manifest{margin:6px 0 12px} details{margin:4px 0} summary{cursor:pointer}
        table.fleet{margin:6px 0 12px} .fleet td.why{white-space:normal;color:#6b1111}
        table.fleet tr td:nth-child(3){color:inherit;font-weight:normal} table.fleet tr.ok td:nth-child(2){color:var(--ok)} table.fleet tr.bad td:nth-child(2){color:var(--bad);font-weight:600}
        footer{color:var(--muted);font-size:12.5px;margin-top:30px}
        """;
}
