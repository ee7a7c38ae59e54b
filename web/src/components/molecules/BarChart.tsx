export interface BarPoint {
  label: string;
  value: number;
  title: string;
}

/** A dependency-free SVG bar chart (no chart library in the bundle); accessible as a table too. */
export function BarChart({ points, label }: { points: BarPoint[]; label: string }) {
  if (points.length === 0) return <p className="muted">No data yet.</p>;
  const max = Math.max(1, ...points.map((p) => p.value));
  const width = 600;
  const height = 160;
  const bar = width / points.length;
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${width} ${height + 20}`} role="img" aria-label={label}>
        {points.map((p, n) => {
          const h = (p.value / max) * height;
          return (
            <rect key={p.label} x={n * bar + 2} y={height - h} width={Math.max(bar - 4, 1)} height={h} className="bar">
              <title>{p.title}</title>
            </rect>
          );
        })}
        <line x1="0" y1={height} x2={width} y2={height} className="axis" />
      </svg>
      <table className="sr-only">
        <caption>{label}</caption>
        <tbody>
          {points.map((p) => (
            <tr key={p.label}><th>{p.label}</th><td>{p.value}</td></tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
