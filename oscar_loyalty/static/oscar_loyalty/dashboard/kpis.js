/* The loyalty KPI charts: data from the page's json_script, drawn with the vendored Chart.js. */
(function () {
    "use strict";

    var source = document.getElementById("loyalty-kpi-data");
    if (!source || typeof Chart === "undefined") {
        return;
    }
    var data = JSON.parse(source.textContent);
    var names = data.names;
    var series = data.series;
    var colours = {
        accrued: "#2e7d32",
        redeemed: "#1565c0",
        returned: "#00897b",
        expired: "#c62828",
        participants: "#1565c0",
        new_participants: "#f9a825",
        liability: "#6a1b9a",
        revenue_participants: "#2e7d32",
        revenue_others: "#9e9e9e",
        points_share: "#1565c0",
        redemption_rate: "#ef6c00"
    };

    function dataset(name, extra) {
        var set = {
            label: names[name],
            data: series[name],
            backgroundColor: colours[name],
            borderColor: colours[name],
            spanGaps: true
        };
        return Object.assign(set, extra || {});
    }

    function draw(id, config) {
        var canvas = document.getElementById(id);
        if (!canvas) {
            return;
        }
        config.options = Object.assign({responsive: true, maintainAspectRatio: false, animation: false}, config.options || {});
        new Chart(canvas, config);
    }

    var percentAxis = {y: {beginAtZero: true, ticks: {callback: function (value) { return value + " %"; }}}};

    draw("loyalty_chart_points", {
        type: "bar",
        data: {labels: data.labels, datasets: [dataset("accrued"), dataset("redeemed"), dataset("returned"), dataset("expired")]},
        options: {scales: {y: {beginAtZero: true}}}
    });
    draw("loyalty_chart_participants", {
        type: "line",
        data: {labels: data.labels, datasets: [dataset("participants"), dataset("new_participants")]},
        options: {scales: {y: {beginAtZero: true, ticks: {precision: 0}}}}
    });
    draw("loyalty_chart_liability", {
        type: "line",
        data: {labels: data.labels, datasets: [dataset("liability", {fill: true, backgroundColor: "rgba(106, 27, 154, 0.15)"})]},
        options: {scales: {y: {beginAtZero: true}}}
    });
    draw("loyalty_chart_revenue", {
        type: "bar",
        data: {labels: data.labels, datasets: [dataset("revenue_participants"), dataset("revenue_others")]},
        options: {scales: {x: {stacked: true}, y: {stacked: true, beginAtZero: true}}}
    });
    draw("loyalty_chart_rates", {
        type: "line",
        data: {labels: data.labels, datasets: [dataset("redemption_rate"), dataset("points_share")]},
        options: {scales: percentAxis}
    });
    draw("loyalty_chart_tiers", {
        type: "bar",
        data: {
            labels: data.tiers.labels,
            datasets: [{label: names.accounts, data: data.tiers.accounts, backgroundColor: "#00838f"}]
        },
        options: {indexAxis: "y", scales: {x: {beginAtZero: true, ticks: {precision: 0}}}, plugins: {legend: {display: false}}}
    });
}());
