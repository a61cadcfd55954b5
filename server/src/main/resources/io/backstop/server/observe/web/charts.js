// A minimal line chart on a canvas: the dashboard's only drawing code (no library, no build step).
"use strict";
window.Sparkline = function (canvas, color) {
  const points = [];
  const max = 120;
  return {
    add(v) {
      points.push(Number.isFinite(v) ? v : 0);
      if (points.length > max) points.shift();
      this.draw();
    },
    draw() {
      const g = canvas.getContext("2d");
      const w = canvas.width, h = canvas.height;
      g.clearRect(0, 0, w, h);
      if (points.length < 2) return;
      const top = Math.max(...points) || 1;
      g.strokeStyle = color;
      g.lineWidth = 1.5;
      g.beginPath();
      points.forEach((v, i) => {
        const x = (i / (max - 1)) * w;
        const y = h - 4 - (v / top) * (h - 16);
        if (i === 0) g.moveTo(x, y); else g.lineTo(x, y);
      });
      g.stroke();
      g.fillStyle = "#667085";
      g.font = "10px system-ui";
      g.fillText(top < 0.01 ? top.toExponential(2) : top.toFixed(2), 4, 10);
    },
  };
};
