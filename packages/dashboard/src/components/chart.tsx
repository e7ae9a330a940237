// A time-series chart with uPlot: x is seconds since the epoch, each series one line.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartProps {
  readonly title: string;
  readonly x: readonly number[];
  readonly series: ReadonlyArray<{ label: string; values: readonly number[]; color: string }>;
  readonly height?: number;
}

export function Chart(props: ChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const shape = props.series.map((s) => s.label).join('|');
  useEffect(() => {
    const element = host.current;
    if (element === null) return;
    plot.current = new uPlot(
      {
        title: props.title,
        width: Math.max(element.clientWidth, 300),
        height: props.height ?? 180,
        series: [
          {},
          ...props.series.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: 2,
            points: { show: false },
          })),
        ],
      },
      [[...props.x], ...props.series.map((s) => [...s.values])],
      element,
    );
    return () => {
      plot.current?.destroy();
      plot.current = undefined;
    };
  }, [shape]);
  useEffect(() => {
    plot.current?.setData([[...props.x], ...props.series.map((s) => [...s.values])]);
  }, [props.x, props.series]);
  return <div class="chart" ref={host} />;
}
